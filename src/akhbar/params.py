"""Parameters: one YAML file (``params.yaml``), the same for DVC and the CLI.

Thresholds live only there. :func:`load` merges a user file over the defaults shipped
with the package, so a user's file may hold only the keys it changes.
"""

from __future__ import annotations

import copy
import dataclasses
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml

Params = dict[str, Any]
T = TypeVar("T")


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


def load(path: Path | str | None = None) -> Params:
    """Defaults, overridden by ``path`` when given."""
    params = defaults()
    if path is not None:
        with open(path, encoding="utf-8") as fh:
            user = yaml.safe_load(fh) or {}
        if not isinstance(user, dict):
            raise ValueError(f"{path}: parameters must be a YAML mapping")
        params = merge(params, user)
    return params


def section(cls: type[T], values: dict[str, Any] | None) -> T:
    """A parameters dataclass from its ``params.yaml`` section: unknown keys are ignored,
    values are coerced to the type of the field's default (YAML may write ``1`` for ``1.0``)
    and missing keys keep the dataclass default."""
    values = values or {}
    kwargs = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in values:
            default = f.default
            kwargs[f.name] = (type(default)(values[f.name])
                              if isinstance(default, int | float) and not isinstance(default, bool)
                              else values[f.name])
    return cls(**kwargs)
