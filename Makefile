# Two entry points for a fresh machine that has only Python >= 3.11, pip and git:
#   make dataset   bootstrap the locked environment, pull the sample, `dvc repro` (dataset/)
#   make test      bootstrap the locked environment, then run the test suite
# The environment comes from uv.lock (uv is itself installed into .tools/ by pip).

PYTHON ?= python3
UV_VERSION ?= 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: env raw dataset test lint bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

# cffconvert (the CITATION.cff validator, used by tests/test_card.py) lives in the tools venv:
# it pins jsonschema < 4, which the project's own environment (moto's OpenAPI validator)
# cannot share.
CFFCONVERT := $(TOOLS)/bin/cffconvert
$(CFFCONVERT): $(UV)
	$(TOOLS)/bin/python -m pip install --quiet "cffconvert==2.0.0"

$(VENV)/.synced: $(UV) uv.lock pyproject.toml
# --compile-bytecode: write every installed module's .pyc once, here. Without it a shell
# with PYTHONDONTWRITEBYTECODE=1 (common in containers) recompiles Great Expectations,
# datasets, pandas... from source in every build process: validation's GX import alone
# took 16-18 CPU-s uncached against 7 cached (session 5 measurement).
	$(UV) sync --frozen --extra distributed --compile-bytecode --python $(PYTHON)
	touch $@

env: $(VENV)/.synced

# The embedded sample corpus is DVC-tracked (data/raw.dvc) and stored in the repository
# (data/sample-store): pulled offline, and only when data/raw is absent, so that a corpus
# of your own under data/raw is never overwritten.
raw: env
	@test -d data/raw || dvc pull -q data/raw.dvc

# Data Docs (HTML, not deterministic, so not a DVC output) are written by the validate stage;
# when DVC finds that stage up to date (a fresh clone: its report is in git), write them.
dataset: raw
	dvc repro
	@test -f reports/data_docs/index.html || python scripts/validate.py

test: raw $(CFFCONVERT)
	python -m pytest -q

lint: env
	ruff check src tests scripts benchmarks

bench: env
	python scripts/benchmark.py

# what the stages write, listed by the stage registry (akhbar.pipeline)
clean: env
	rm -rf $$(python -m akhbar.pipeline) reports
