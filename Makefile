# caseapp: `make run` serves the demo on http://127.0.0.1:5000, `make test` runs the suite
# on SQLite and PostgreSQL. Both create .venv and install what they need.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint migrate seed system-deps bench clean

# Reinstall when the project's dependencies change.
$(BIN)/.installed: pyproject.toml
	PYTHON=$(PYTHON) scripts/install-system-deps venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

migrate: $(BIN)/.installed
	$(BIN)/alembic upgrade head

seed: migrate
	$(BIN)/flask --app caseapp seed-demo

# gunicorn, the production server: it names no version in its Server header (Werkzeug's
# development server sends its own and Python's); gunicorn.conf.py keeps query strings out
# of its access log.
run: seed
	@echo "Serving caseapp on http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 2 --threads 4 'caseapp:create_app()'

# Chromium for the browser tests; PostgreSQL is installed by scripts/with-postgres itself.
system-deps:
	scripts/install-system-deps browser

lint: $(BIN)/.installed
	$(BIN)/ruff check .

test: $(BIN)/.installed system-deps lint
	CASEAPP_REQUIRE_BROWSER=1 scripts/with-postgres $(BIN)/python -m pytest

bench: $(BIN)/.installed
	$(BIN)/python bench/bench_rules.py
	$(BIN)/python bench/bench_checks.py
	$(BIN)/python bench/lists.py
	$(BIN)/python bench/impact.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
