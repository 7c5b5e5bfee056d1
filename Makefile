# One command to try it, one to test it. Everything else is `o2o <command>` inside .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The suite runs on one process per core (pytest-xdist); PYTEST_ARGS="-n 0" runs it in one.
PYTEST_ARGS ?= -n auto --maxprocesses 4

.PHONY: setup demo serve test lint bench clean

# The embedded demo: payment simulator on, development secrets allowed (o2o/core/checks.py).
# Production runs gunicorn (docs/operations.md) and refuses these defaults.
demo serve: export O2O_ENV = development

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check "uv==0.13.8"

$(VENV)/.synced: $(BIN)/uv pyproject.toml uv.lock
	$(BIN)/uv sync --frozen --inexact --quiet --python $(BIN)/python
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

setup: $(VENV)/.synced node_modules/.package-lock.json

demo: setup  ## set up, load the demo chain, print the logins, serve on 127.0.0.1:8000
	mkdir -p var
	$(BIN)/o2o migrate --verbosity 0
	$(BIN)/o2o demo --site http://$(HOST):$(PORT)
	$(BIN)/o2o serve $(HOST):$(PORT)

serve: setup
	$(BIN)/o2o serve $(HOST):$(PORT)

test: setup  ## the whole suite (PostgreSQL race tests run when DATABASE_URL points at PostgreSQL)
	scripts/chromium-up
	mkdir -p var
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/o2o makemigrations --check --dry-run --verbosity 0
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var
