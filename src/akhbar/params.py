"""Parameters: one YAML file (``params.yaml``), the same for DVC and the CLI.

Thresholds live only there. :func:`load` merges user files over the defaults shipped with
the package (a user's file holds only the keys it changes), then checks the result
against the typed models of :mod:`akhbar.config`: an unknown key, a misspelt section or a
wrong type raises :class:`ParamsError` naming the key and the valid ones, before any
stage runs. The result is the typed model (``params.quality.min_words``), never a dict:
a key read with a default of its own at the call site would be a second home for that
default.
"""

from __future__ import annotations

import copy
import difflib
import functools
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from akhbar import config
from akhbar.errors import AkhbarError

Params = config.Params
RawParams = dict[str, Any]  # a params.yaml-shaped mapping, before validation
M = TypeVar("M", bound=BaseModel)


class ParamsError(AkhbarError):
    """A parameters file that does not fit the models (the CLI exits with code 2)."""

    exit_code = 2


def defaults() -> RawParams:
    """The default parameters as written in the package's ``params.yaml`` (the project's
    top-level ``params.yaml`` is a copy, checked equal by ``tests/test_params.py``)."""
    text = resources.files("akhbar").joinpath("params.yaml").read_text(encoding="utf-8")
    # libyaml's scanner when present: the same safe constructor and resolver, ten times
    # less CPU (0.04 s per process, every stage process pays it); a user's file keeps
    # ``safe_load`` for its error messages.
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def merge(base: RawParams, override: RawParams) -> RawParams:
    """Deep-merge ``override`` into a copy of ``base`` (mappings merge, the rest replaces)."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read(path: Path | str) -> RawParams:
    try:
        with open(path, encoding="utf-8") as fh:
            user = yaml.safe_load(fh) or {}
    except OSError as exc:
        raise ParamsError(f"{path}: cannot read parameters ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(user, dict):
        raise ParamsError(f"{path}: parameters must be a YAML mapping")
    return user


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model whose keys are valid at ``loc`` (a pydantic error location)."""
    model: Any = config.Params
    for part in loc:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        fields = {(f.alias or n): f for n, f in model.model_fields.items()}
        if part not in fields:
            return model
        annotation = fields[part].annotation
        args = getattr(annotation, "__args__", ()) or ()
        model = next((a for a in (annotation, *args)
                      if isinstance(a, type) and issubclass(a, BaseModel)), annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _explain(err: dict[str, Any]) -> str:
    loc = tuple(err["loc"])
    key = ".".join(str(p) for p in loc)
    if err["type"] == "extra_forbidden":
        model = _model_at(loc[:-1])
        valid = sorted((f.alias or n) for n, f in model.model_fields.items()) if model else []
        what = "section" if len(loc) == 1 else "key"
        near = difflib.get_close_matches(str(loc[-1]), valid, n=1)
        hint = f" (did you mean {'.'.join([*map(str, loc[:-1]), near[0]])}?)" if near else ""
        return f"unknown {what} {key!r}{hint}; valid: {', '.join(valid)}"
    if err["type"] == "missing":
        return f"{key!r} is missing"
    got = err.get("input")
    return f"{key!r}: {err['msg'].lower()}, got {got!r} ({type(got).__name__})"


def check(params: RawParams, origin: str = "parameters") -> Params:
    """``params`` validated against :class:`akhbar.config.Params` (the typed model back;
    ints given for floats become floats). Raises :class:`ParamsError`."""
    try:
        return config.Params.model_validate(params)
    except ValidationError as exc:
        lines = [_explain(e) for e in exc.errors(include_url=False)]
        raise ParamsError(f"{origin}: " + "; ".join(lines)) from None


def load(*paths: Path | str | None) -> Params:
    """Defaults, overridden by each file of ``paths`` in turn, checked by the models."""
    params = defaults()
    given = [p for p in paths if p is not None]
    for path in given:
        params = merge(params, _read(path))
    return check(params, ", ".join(str(p) for p in given) or "packaged defaults")


def from_dict(override: RawParams, origin: str = "parameters") -> Params:
    """The defaults with ``override`` (a mapping shaped like ``params.yaml``, holding only
    the keys it changes) merged over them, checked: for tests and callers that build
    parameters in code."""
    return check(merge(defaults(), override), origin)


def typed(params: Params | RawParams) -> Params:
    """``params`` as the typed model: a model is returned as is, a mapping goes through
    :func:`from_dict`. Stage entry points call this so that a test may hand a stage a
    partial mapping; inside the library, parameters are only read as attributes."""
    return params if isinstance(params, config.Params) else from_dict(params)


def defaults_for(model: type[M], **changes: Any) -> M:
    """The packaged defaults of the section modelled by ``model`` (found by walking the
    defaults' model tree), with ``changes`` applied: library code that is handed no
    parameters and tests that change a key or two use it, so that no default is written
    twice. ``changes`` are checked like a file's keys (an unknown key is an error)."""
    todo: list[BaseModel] = [_packaged()]
    while todo:
        node = todo.pop(0)
        if type(node) is model:
            return model.model_validate({**node.model_dump(by_alias=True), **changes})
        todo.extend(v for v in (getattr(node, n) for n in type(node).model_fields)
                    if isinstance(v, BaseModel))
    raise LookupError(f"no section of params.yaml is a {model.__name__}")


def card_fields(params: Params) -> dict[str, Any]:
    """The ``card`` section as the mapping :mod:`akhbar.citation` and
    :mod:`akhbar.versions` read (CFF spellings such as ``given-names``): card metadata is
    written out as YAML/CFF, so it travels in its written form."""
    return params.card.model_dump(by_alias=True)


@functools.cache
def _packaged() -> Params:
    return load()
