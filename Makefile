# tinsach: `make run` cleans the bundled samples into clean/, `make test` runs the checks and tests.
# Both bootstrap everything from uv.lock (installing uv with pip if it is missing); nothing by hand.
SHELL := /bin/bash
export PREFECT_HOME := $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 120
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := python3 -m uv
endif

.PHONY: setup run test lint bench clean-output

setup: .venv/.synced

.venv/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

run: setup
	$(UV) run --frozen tinsach run raw --out clean

lint: setup
	$(UV) run --frozen ruff check cleaners flows scraper tests bench
	$(UV) run --frozen mypy

test: lint
	$(UV) run --frozen pytest

bench: setup
	$(UV) run --frozen python bench/devset_eval.py

clean-output:
	rm -rf clean
