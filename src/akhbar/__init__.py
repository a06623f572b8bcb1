"""Akhbar: raw scraped Arabic news articles → a clean, validated, versioned corpus.

The pipeline reads top to bottom (see ``akhbar.pipeline`` and ``akhbar.build``):
ingest → parse → clean → filter → dedup → split → validate → card.

``akhbar.load(version="v0.1.0")`` returns the ``DatasetDict`` of a release (see
``akhbar.versions``).
"""

from __future__ import annotations

import os
from typing import Any

# Arrow's default memory pool (mimalloc in the pyarrow wheels) keeps freed pages mapped for a
# while; across the stages of one build process that retained memory set the process's peak
# (SaudiNewsNet: 1.19-1.25 GB by `/usr/bin/time`, 1.04-1.09 GB with pages purged at once, for
# about 4 % more wall time). mimalloc reads the option when pyarrow loads it, so it must be in
# the environment before the first `import pyarrow`; child processes (the validation worker,
# language id) inherit it. `setdefault`: a value the user set wins.
os.environ.setdefault("MIMALLOC_PURGE_DELAY", "0")

__version__ = "0.1.0"


def load(version: str, repo: str = ".", **kwargs: Any) -> Any:
    """The ``DatasetDict`` of release ``version`` (``vX.Y.Z``) of the repository ``repo``.

    Imported lazily: ``import akhbar`` must stay cheap for the pipeline's worker processes.
    """
    from akhbar.versions import load as _load

    return _load(version, repo, **kwargs)
