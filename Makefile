# The two commands of the README: `make run` and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-fast lint bench

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $@

run: install
	$(BIN)/budget-qa ingest samples
	$(BIN)/budget-qa serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

# While developing: lint and the unit tests, without the ones marked slow (browser, real
# model, whole corpus, backends); `make test` (and CI) still runs everything.
test-fast: lint
	$(BIN)/pytest -m "not slow"

# Not a test: N synthetic documents (50, 200, 1000), their ingest, server start, memory,
# latency per kind of question and 20 clients for 60 s; a Markdown table and JSON in bench-data/.
bench: install
	$(BIN)/budget-qa bench --n 50 200 1000 --workdir bench-data --reuse
