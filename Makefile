# Set-up and everyday commands. `make demo` and `make test` work on a fresh machine with
# Python 3.11: they create .venv and install everything the project needs.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "salesscope needs Python 3.11 or newer (set PYTHON=...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Build the demo account and show it.
demo: $(STAMP)
	$(BIN)/salesscope demo

## Lint, type-check and run the whole test suite (PostgreSQL tests run when one answers).
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	SALESSCOPE_TEST_PG_URL="$${SALESSCOPE_TEST_PG_URL:-$$(scripts/postgres-url.sh)}" $(BIN)/pytest

## Time every report against the DuckDB scan floor on the large demo (not a test).
bench: $(STAMP)
	$(BIN)/python bench/reports.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
