# Two commands on a fresh machine: `make run` and `make test`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
DEMO_ORGS ?= 12000
PYTEST_ARGS ?=

.PHONY: run setup test lint-imports bench bench-national security-scan babel-extract babel-update babel-compile clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

## setup: install, migrate the portal DB, make demo scoring data if none is configured, first sync
setup: $(VENV)/.installed
	$(FLASK) db upgrade
	@if [ -z "$$SCORING_DATABASE_URL" ] && [ ! -f instance/scoring-demo.db ]; then \
		$(FLASK) demo scoring-db --orgs $(DEMO_ORGS); \
	fi
	$(FLASK) sync run

## run: the portal on http://127.0.0.1:8000 (web + scheduler, embedded SQLite, demo data)
run: setup
	$(BIN)/honcho start

AXE := tests/browser/axe/node_modules/axe-core/axe.min.js

# axe-core for the accessibility audit (npm registry); skipped where npm is missing, except in CI.
$(AXE): tests/browser/axe/package.json tests/browser/axe/package-lock.json
	@if command -v npm >/dev/null; then \
		cd tests/browser/axe && npm ci --no-audit --no-fund --ignore-scripts --silent; \
	else echo "npm not found: the accessibility audit will skip (it is required in CI)"; fi

## test: the import rules (.importlinter), then the whole suite (PostgreSQL and browser tests skip when unavailable, except in CI)
test: $(VENV)/.installed-dev $(AXE)
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## lint-imports: only the import rules of .importlinter (layers, the scoring contract, no cycles)
lint-imports: $(VENV)/.installed-dev
	$(BIN)/lint-imports --no-cache

## bench: every benchmark under bench/ at Beijing scale (60,000 organisations), about 15 minutes; see docs/benchmarks.md
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/all.py

## bench-national: the national-scale run (900,000 organisations on PostgreSQL), about 30 minutes
bench-national: $(VENV)/.installed-dev
	$(BIN)/python bench/national.py --sizes 90000,900000
	$(BIN)/python bench/search.py --sizes 900000 --skip-fts
	$(BIN)/python bench/export.py --sizes 900000

## security-scan: sqlmap against every endpoint that takes input, on loopback (see docs/security.md)
security-scan: $(VENV)/.installed-dev
	$(BIN)/python bench/sqlmap_scan.py

babel-extract: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --add-location=file --sort-by-file --project=portal -o portal/translations/messages.pot .

babel-update: babel-extract
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching --ignore-obsolete

babel-compile: $(VENV)/.installed
	$(BIN)/pybabel compile -d portal/translations --statistics

clean:
	rm -rf $(VENV) instance
