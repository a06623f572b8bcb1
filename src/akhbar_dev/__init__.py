"""Tools around Akhbar that are not the library: the build benchmark (``akhbar bench``).

They live outside ``src/akhbar`` so that the library holds only what a build runs; they
reach the build through its public hooks (``akhbar.build.build(..., on_stage=...)``),
never by patching it.
"""
