"""CPU seconds of the validate stage alone on a built dataset folder, split into the
phases that matter: akhbar's imports, GX's import + context, and ``validate.run``.

Why CPU seconds: wall time is meaningless on a shared, loaded machine. Why the split:
GX's import alone is about as costly as validating SaudiNewsNet, and it is paid twice
over when Python may not cache bytecode (``PYTHONDONTWRITEBYTECODE=1`` with a venv that
holds no ``.pyc``): run once with and once without ``PYTHONPYCACHEPREFIX`` to see it.

    .venv/bin/python benchmarks/validate_stage.py DATASET_DIR REPORTS_DIR

DATASET_DIR is read only (reports go to REPORTS_DIR); prints the sha256 of
``validation.json`` to compare with the dataset's own ``reports/validation.json``.
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path


def main(dataset: Path, reports: Path) -> None:
    t0 = time.process_time()
    from akhbar import params, validate
    t1 = time.process_time()
    from akhbar import expectations_suites  # noqa: F401  (warmed like the build's worker)
    from akhbar.gx_session import gx

    gx()
    t2 = time.process_time()
    result = validate.run(dataset, params.load(None), reports)
    t3 = time.process_time()
    print(f"cpu-s: akhbar imports {t1 - t0:.2f}, gx import+context {t2 - t1:.2f}, "
          f"validate.run {t3 - t2:.2f}, total {t3 - t0:.2f}; ok={result.ok}")
    digest = hashlib.sha256((reports / "validation.json").read_bytes()).hexdigest()
    print(f"validation.json sha256 {digest}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
