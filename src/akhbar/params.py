"""Parameters: one YAML file (``params.yaml``), the same for DVC and the CLI.

Thresholds live only there. :func:`load` merges user files over the defaults shipped with
the package (a user's file holds only the keys it changes), then checks the result
against the typed models of :mod:`akhbar.config`: an unknown key, a misspelt section or a
wrong type raises :class:`ParamsError` naming the key and the valid ones, before any
stage runs.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from akhbar import config
from akhbar.errors import AkhbarError

Params = dict[str, Any]
T = TypeVar("T")


class ParamsError(AkhbarError):
    """A parameters file that does not fit the models (the CLI exits with code 2)."""

    exit_code = 2


def defaults() -> Params:
    """The default parameters (the package's copy of the project's ``params.yaml``)."""
    text = resources.files("akhbar").joinpath("params.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def merge(base: Params, override: Params) -> Params:
    """Deep-merge ``override`` into a copy of ``base`` (mappings merge, the rest replaces)."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read(path: Path | str) -> Params:
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


def check(params: Params, origin: str = "parameters") -> Params:
    """``params`` validated against :class:`akhbar.config.Params`; the plain dict back
    (ints given for floats become floats). Raises :class:`ParamsError`."""
    try:
        model = config.Params.model_validate(params)
    except ValidationError as exc:
        lines = [_explain(e) for e in exc.errors(include_url=False)]
        raise ParamsError(f"{origin}: " + "; ".join(lines)) from None
    return config.dump(model)


def load(*paths: Path | str | None) -> Params:
    """Defaults, overridden by each file of ``paths`` in turn, checked by the models."""
    params = defaults()
    given = [p for p in paths if p is not None]
    for path in given:
        params = merge(params, _read(path))
    return check(params, ", ".join(str(p) for p in given) or "packaged defaults")


def section(cls: type[T], values: dict[str, Any] | None) -> T:
    """A parameters dataclass from its (already checked) ``params.yaml`` section; values
    are coerced to the type of the field's default (YAML may write ``1`` for ``1.0``)."""
    values = values or {}
    kwargs = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in values:
            default = f.default
            kwargs[f.name] = (type(default)(values[f.name])
                              if isinstance(default, int | float) and not isinstance(default, bool)
                              else values[f.name])
    return cls(**kwargs)
