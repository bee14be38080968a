# tinsach: `make run` cleans the bundled samples into clean/, `make test` runs the checks and tests.
# Both bootstrap everything from uv.lock (installing uv with pip if it is missing); nothing by hand.
SHELL := /bin/bash
export PREFECT_HOME := $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 120
export PREFECT_LOGGING_EXTRA_LOGGERS := cleaners,dataset,scraper
# the library also runs outside flows (benchmarks, direct use): its logs then stay local, silently
export PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW := ignore
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := python3 -m uv
endif

.PHONY: setup run test lint bench clean-output server serve ui-deps

setup: .venv/.synced

.venv/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

run: setup
	$(UV) run --frozen tinsach run raw --out clean

lint: setup
	$(UV) run --frozen ruff check cleaners dataset flows scraper tests bench
	$(UV) run --frozen mypy

test: lint ui-deps
	$(UV) run --frozen pytest

# Debian's chromium for the UI test (Playwright drives it; it downloads no browser of its own).
ui-deps:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "chromium is not installed: the UI test will be skipped"; }

bench: setup
	$(UV) run --frozen python bench/devset_eval.py

clean-output:
	rm -rf clean

# A local Prefect server with its UI on http://127.0.0.1:4200 (SQLite in .prefect/, loopback only);
# old flow runs and events are vacuumed so the database does not grow without bound (flows/server.py).
# Behind a login: TINSACH_AUTH=user:password if set, else a credential generated once into
# .prefect/tinsach-api-auth (mode 600); the UI asks for it (docs/deployments.md).
server: setup
	$(UV) run --frozen tinsach server --port 4200

# Register the deployments with the server above and run them (scheduled and UI-triggered). Logs in with
# the credential above by itself; runs may only use paths inside TINSACH_DATA_ROOTS (default: here).
serve: setup
	PREFECT_API_URL=http://127.0.0.1:4200/api $(UV) run --frozen tinsach serve
