"""Akhbar: raw scraped Arabic news articles → a clean, validated, versioned corpus.

The pipeline reads top to bottom (see ``akhbar.pipeline`` and ``akhbar.build``):
ingest → parse → clean → filter → dedup → split → validate → card.

``akhbar.load(version="v0.1.0")`` returns the ``DatasetDict`` of a release (see
``akhbar.versions``).
"""

from __future__ import annotations

from typing import Any

from akhbar import memory

# Before pyarrow loads and before any stage thread starts (see akhbar.memory for why).
memory.tune()

__version__ = "0.1.0"


def load(version: str, repo: str = ".", **kwargs: Any) -> Any:
    """The ``DatasetDict`` of release ``version`` (``vX.Y.Z``) of the repository ``repo``.

    Imported lazily: ``import akhbar`` must stay cheap for the pipeline's worker processes.
    """
    from akhbar.versions import load as _load

    return _load(version, repo, **kwargs)
