"""Tools for developing Akhbar, not part of the library: the synthetic-corpus generator
(:mod:`akhbar_dev.synth`) and the benchmark (``akhbar_dev.bench``).

Why a package of its own: ``akhbar`` is what a user installs to build a corpus; these tools
serve benchmarks and tests. ``akhbar`` never imports ``akhbar_dev`` at import time, and
nothing here guesses paths outside the package (callers pass the shared corpora's folder).
"""
