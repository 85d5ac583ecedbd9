# Persist — the two commands a fresh machine needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint format clean screenshots bench loadtest bench-install

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

## Benchmarks at scale (issue #8): one markdown table, also in var/bench-results/latest.md.
## Needs PostgreSQL (DATABASE_URL's server, else postgres@127.0.0.1:5432); creates its own
## databases (persist_scale is seeded once, ~1-3 min, and reused). Installs Debian's wrk if missing.
bench: bench-install
	$(BIN)/python -m bench $(ARGS)

## Load test: 50 users mixing dashboards, contact logging and webhooks for 60 s; fails on any 5xx.
loadtest: bench-install
	$(BIN)/python -m bench.load $(ARGS)

BENCH_STAMP := $(VENV)/.bench-stamp
$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $(BENCH_STAMP)

bench-install: $(BENCH_STAMP)
	@bash scripts/os-packages.sh wrk
