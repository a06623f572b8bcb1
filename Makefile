# Two entry points for a fresh machine that has only Python >= 3.11, pip and git:
#   make dataset   bootstrap the locked environment, then `dvc repro` (builds dataset/)
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

.PHONY: env dataset test lint bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

env: $(VENV)/.synced

dataset: env
	dvc repro

test: env
	python -m pytest -q

lint: env
	ruff check src tests scripts benchmarks

bench: env
	python scripts/benchmark.py

clean:
	rm -rf data/ingested data/parsed data/cleaned data/filtered data/deduplicated \
	       data/rejected data/stats dataset/data dataset/rejected reports
