"""Parameters: one YAML file (``params.yaml``), the same for DVC and the CLI.

Thresholds live only there. :func:`load` merges a user file over the defaults shipped
with the package, so a user's file may hold only the keys it changes.
"""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

Params = dict[str, Any]


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
