# The two commands of the README, plus a few helpers. Needs only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench install migrate demo clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed (set PYTHON=/path/to/python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo

## make run: venv, install, migrate, demo data, print logins, serve on http://127.0.0.1:8000 with the
## task worker beside it (large browser imports run there); Ctrl+C stops both
run: demo
	@echo "Serving on http://127.0.0.1:8000 with the import worker  (Ctrl+C to stop)"
	$(BIN)/python manage.py db_worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT; \
	$(BIN)/python manage.py runserver 127.0.0.1:8000

## make test: venv, install, the whole suite (PostgreSQL when DATABASE_URL is set)
test: install
	$(BIN)/python -m pytest

## make lint: the import layers (docs/architecture.md)
lint: install
	$(BIN)/lint-imports

## make bench: every benchmark on PostgreSQL (DATABASE_URL must point at it), into bench/RESULTS.md;
## goes on after a failed one, then names it and fails. BENCH_SIZE=tiny: all in seconds, nothing written
bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
