"""The pipeline on a Dask distributed cluster (the optional ``distributed`` extra).

:mod:`akhbar.distributed.executor` picks the stage runner (``--executor dask``);
:mod:`akhbar.distributed.dedup` is the dedup stage as waves of tasks joined by file
shuffles (:mod:`akhbar.distributed.shuffle`). Importing this package does not import Dask.
"""
