"""A real Dask cluster on this machine: one ``dask scheduler`` and worker OS processes.

Why separate processes and not a ``LocalCluster``: the tests and the benchmark must see
what a cluster sees (pickled tasks, files as the only shared state, a worker that can be
SIGKILLed, per-process RSS). One helper for both, so they start the cluster the same way.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def dask_processes(n_workers: int = 2, timeout: float = 120
                   ) -> Iterator[tuple[str, list[subprocess.Popen]]]:
    """``(address, worker processes)`` of a scheduler and ``n_workers`` workers (one
    thread each, no nanny: a killed worker stays dead), all stopped by pid on exit."""
    import distributed

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1",
                               "--port", str(port), "--no-dashboard"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)]
    workers = [subprocess.Popen([str(BIN / "dask"), "worker", address, "--nworkers", "1",
                                 "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                 "--host", "127.0.0.1", "--name", f"w{k}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
               for k in range(n_workers)]
    procs += workers
    try:
        with distributed.Client(address, timeout=60) as client:
            client.wait_for_workers(n_workers, timeout=timeout)
        yield address, workers
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
