"""Akhbar: raw scraped Arabic news articles → a clean, validated, versioned corpus.

The pipeline reads top to bottom (see ``akhbar.build``):
ingest → parse → clean → filter → dedup → split → validate → card.
"""

__version__ = "0.1.0"
