"""Parameters: one YAML file merged over the packaged defaults, checked by typed models."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from akhbar import config, params
from akhbar.errors import AkhbarError
from conftest import ROOT


def _user(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_load_returns_the_typed_model_with_attribute_access() -> None:
    p = params.load()
    assert isinstance(p, config.Params) and isinstance(p.quality, config.Quality)
    assert p.quality.min_words == params.defaults()["quality"]["min_words"]
    assert isinstance(p.card.plots.width, float)  # ints given for floats become floats


def test_from_dict_merges_a_partial_mapping_over_the_defaults_and_checks_it() -> None:
    p = params.from_dict({"dedup": {"threshold": 0.9}})
    assert p.dedup.threshold == 0.9
    assert p.dedup.num_perm == params.load().dedup.num_perm
    with pytest.raises(params.ParamsError, match=r"dedup\.thresold"):
        params.from_dict({"dedup": {"thresold": 0.9}})


def test_typed_passes_a_model_through_and_types_a_mapping() -> None:
    model = params.load()
    assert params.typed(model) is model
    assert params.typed({"quality": {"min_words": 7}}).quality.min_words == 7


def test_defaults_for_finds_the_section_and_applies_changes() -> None:
    bp = params.defaults_for(config.Boilerplate, min_docs=2)
    on_disk = params.defaults()["clean"]["boilerplate"]
    assert bp.min_docs == 2 and bp.max_line_words == on_disk["max_line_words"]
    archive = params.defaults()["ingest"]["archive"]
    assert params.defaults_for(config.Archive).max_depth == archive["max_depth"]
    assert params.defaults_for(config.Boilerplate).min_docs == on_disk["min_docs"]  # a copy
    with pytest.raises(ValueError, match="min_dox"):  # changes are checked like a file
        params.defaults_for(config.Boilerplate, min_dox=2)


@pytest.mark.parametrize("old", [
    {"quality": {"rows_per_part": 10}}, {"dedup": {"rows_per_part": 10}},
    {"split": {"rows_per_shard": 10}}, {"validate": {"batch_rows": 10}},
])
def test_old_size_key_names_are_unknown_keys(tmp_path: Path, old) -> None:
    """One name per size: rows_per_file (rows per written file), batch_size (rows read
    at once). A file still using an old name fails like any misspelt key."""
    with pytest.raises(params.ParamsError, match="unknown key"):
        params.load(_user(tmp_path, old))


def test_every_size_key_has_one_name() -> None:
    names: set[str] = set()

    def walk(model: type) -> None:
        for name, f in model.model_fields.items():
            if isinstance(f.annotation, type) and issubclass(f.annotation, config.Section):
                walk(f.annotation)
            else:
                names.add(name)

    walk(config.Params)
    assert {n for n in names if n.startswith("rows_per")} == {"rows_per_file"}
    assert {n for n in names if n.startswith("batch_") and n != "batch_bytes"} == {"batch_size"}


def test_user_file_overrides_only_its_keys(tmp_path: Path) -> None:
    merged = params.load(_user(tmp_path, {"quality": {"min_words": 3}}))
    defaults = params.load()
    assert merged.quality.min_words == 3
    assert merged.quality.min_arabic_ratio == defaults.quality.min_arabic_ratio
    assert merged.dedup == defaults.dedup


def test_later_files_override_earlier_ones(tmp_path: Path) -> None:
    a = _user(tmp_path, {"card": {"license": "mit", "pretty_name": "A"}})
    b = tmp_path / "b.yaml"
    b.write_text("card:\n  license: cc-by-4.0\n", encoding="utf-8")
    card = params.load(a, b).card
    assert (card.license, card.pretty_name) == ("cc-by-4.0", "A")


def test_a_non_mapping_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(params.ParamsError, match="mapping"):
        params.load(bad)


@pytest.mark.parametrize(("data", "named", "valid"), [
    ({"quality": {"min_wrods": 10}}, "quality.min_wrods", "min_words"),
    ({"qualty": {"min_words": 10}}, "qualty", "quality"),
    ({"ingest": {"encoding": {"max_ctrl": 1}}}, "ingest.encoding.max_ctrl",
     "max_control_ratio"),
    ({"card": {"licence": "mit"}}, "card.licence", "license"),
])
def test_unknown_keys_are_named_with_the_valid_ones(tmp_path: Path, data, named, valid):
    with pytest.raises(params.ParamsError) as err:
        params.load(_user(tmp_path, data))
    msg = str(err.value)
    assert repr(named) in msg and valid in msg
    assert "did you mean" in msg


@pytest.mark.parametrize(("data", "named"), [
    ({"quality": {"min_words": "thirty"}}, "quality.min_words"),
    ({"quality": {"languages": "ar"}}, "quality.languages"),
    ({"split": {"mode": "random"}}, "split.mode"),
    ({"validate": {"data_docs": "yes"}}, "validate.data_docs"),
    ({"raw": {"paths": [1, 2]}}, "raw.paths.0"),
])
def test_wrong_types_are_named(tmp_path: Path, data, named) -> None:
    with pytest.raises(params.ParamsError) as err:
        params.load(_user(tmp_path, data))
    assert repr(named) in str(err.value)


def test_params_error_is_an_akhbar_error_with_exit_code_2() -> None:
    assert issubclass(params.ParamsError, AkhbarError)
    assert params.ParamsError.exit_code == 2


def test_free_form_mappings_stay_free(tmp_path: Path) -> None:
    got = params.load(_user(tmp_path, {"ingest": {"formats": {"*.dat": "jsonl"},
                                                  "fields": {"body": "content"}}}))
    assert got.ingest.formats == {"*.dat": "jsonl"}


def test_packaged_defaults_are_the_projects_params_yaml() -> None:
    """One file of defaults: the package's (a real file, shipped in the wheel). The
    project's ``params.yaml``, where DVC reads each stage's section, is a link to it, so
    the two cannot drift; a release writes ``card.yaml``, never this file."""
    packaged = ROOT / "src" / "akhbar" / "params.yaml"
    assert not packaged.is_symlink()
    project = ROOT / "params.yaml"
    assert project.is_symlink() and project.resolve() == packaged.resolve()


def test_every_model_field_is_in_params_yaml_and_back() -> None:
    """Defaults live in params.yaml only: a model field without a value there (or a key
    there without a field) is an error of the package, caught here."""
    on_disk = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    config.Params.model_validate(on_disk)  # no unknown key, no missing threshold

    def required(model) -> set[str]:
        return {(f.alias or n) for n, f in model.model_fields.items() if f.is_required()}

    assert required(config.Params) == set(on_disk)
    assert required(config.Quality) == set(on_disk["quality"])


def test_library_card_section_states_nothing_about_a_corpus() -> None:
    card = params.load().card
    for key in ("pretty_name", "license", "version", "date", "description", "homepage"):
        assert getattr(card, key) is None, key
    assert card.authors == []


@pytest.mark.parametrize(("data", "key"), [
    ({"quality": {"min_wrods": 10}}, "min_wrods"),
    ({"quality": {"min_words": "thirty"}}, "min_words"),
    ({"qualty": {"min_words": 10}}, "qualty"),
])
def test_cli_build_refuses_bad_params_before_any_stage(tmp_path: Path, data, key) -> None:
    """Exit code 2 (ParamsError.exit_code, through the CLI's error plumbing), the key
    named, no output written, fast."""
    out = tmp_path / "out"
    akhbar = Path(sys.executable).parent / "akhbar"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    proc = subprocess.run([str(akhbar), "build", str(ROOT / "data/raw/sample"), "--out",
                           str(out), "--params", str(_user(tmp_path, data))],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "COLUMNS": "200"})
    elapsed = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert key in proc.stderr
    assert not (out / "data").exists()
    # CPU seconds: the wall clock of a shared CI machine measures its other tenants
    assert cpu < 5, f"took {cpu:.1f}s of CPU ({elapsed:.1f}s wall)"
    assert proc.returncode == 2, proc.stderr


def test_defaults_same_with_pure_python_yaml() -> None:
    """The libyaml loader of :func:`akhbar.params.defaults` reads the same mapping as the
    pure-Python safe loader."""
    from importlib import resources

    import yaml

    from akhbar import params as params_mod

    text = resources.files("akhbar").joinpath("params.yaml").read_text(encoding="utf-8")
    assert params_mod.defaults() == yaml.safe_load(text)
