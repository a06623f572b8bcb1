"""Tools for developing Akhbar, not part of the library: the synthetic-corpus generator
(:mod:`akhbar_dev.synth`) and the build benchmark (:mod:`akhbar_dev.bench`, ``akhbar bench``).

Why a package of its own: ``akhbar`` is what a user installs to build a corpus; these tools
serve benchmarks and tests. ``akhbar`` never imports ``akhbar_dev`` at import time, nothing
here guesses paths outside the package (callers pass the shared corpora's folder), and the
benchmark reaches the build through its public hook (``akhbar.build.build(...,
on_stage=...)``), never by patching it.
"""
