# The two commands of the README: `make run` starts the demo service, `make test` runs every test.
# `make run` installs the runtime dependencies only; test, lint and bench add the `dev` extra.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# What each venv has had installed (pyproject.toml changing means install again).
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
# The client generator of the OpenAPI test, apart: its httpx pin is older than calbridge's.
CODEGEN_VENV := .venv-codegen
CODEGEN_STAMP := $(CODEGEN_VENV)/.installed

.PHONY: run test lint bench install install-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $(RUNTIME_STAMP)

# The dev extra includes the runtime dependencies, so it counts as a runtime install too.
$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP) $(RUNTIME_STAMP)

install: $(RUNTIME_STAMP)

$(CODEGEN_STAMP): pyproject.toml
	$(PYTHON) -m venv $(CODEGEN_VENV)
	$(CODEGEN_VENV)/bin/pip install --quiet $$($(PYTHON) -c "import tomllib; \
		print(' '.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['codegen']))")
	touch $(CODEGEN_STAMP)

# axe-core, which the admin's browser tests run in each page (package.json, dev only).
NODE_STAMP := node_modules/.package-lock.json

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund

install-dev: $(DEV_STAMP) $(CODEGEN_STAMP) $(NODE_STAMP)

run: install
	$(BIN)/calbridge dev

test: install-dev
	$(BIN)/pytest -n 2 --dist loadgroup

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install-dev
	$(BIN)/python -m bench.perf
