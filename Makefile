# Persist — the two commands a fresh machine needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint format clean screenshots

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## Migrate, seed demo data, start the web server on 127.0.0.1:8000 and the task cluster.
run: install
	@bash scripts/run.sh

## The whole test suite on PostgreSQL (DATABASE_URL, else postgres@127.0.0.1:5432).
test: install
	@bash scripts/test.sh $(ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var

## Screenshots of the main pages (desktop + phone) into ./screenshots; needs `make run`
## started with DEMO_PASSWORD set, and Debian's chromium.
screenshots: install
	$(BIN)/python scripts/screenshots.py
