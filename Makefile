# Two commands on a fresh machine: `make run` and `make test`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
DEMO_ORGS ?= 12000
PYTEST_ARGS ?=

.PHONY: help run setup test lint-imports bench bench-national security-scan babel-extract babel-update babel-compile clean

## help: list these targets
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed -e 's/^## /  make /' -e 's/: /\t/'

# pip prints each package as it goes ("Collecting ...", "Installing collected packages"), so a
# first `make run` shows progress through its half minute of installing instead of staying silent.
$(BIN)/python:
	@echo "==> Creating the virtual environment in $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check --progress-bar on --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	@echo "==> Installing the pinned requirements (requirements.txt; about 30 s the first time)"
	$(BIN)/pip install --disable-pip-version-check --progress-bar on -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	@echo "==> Installing the test and benchmark requirements (requirements-dev.txt)"
	$(BIN)/pip install --disable-pip-version-check --progress-bar on -r requirements-dev.txt
	touch $@

## setup: install, migrate the portal DB, make demo scoring data if none is configured, first sync
setup: $(VENV)/.installed
	@echo "==> Migrating the portal database"
	$(FLASK) db upgrade
	@if [ -z "$$SCORING_DATABASE_URL" ] && [ ! -f instance/scoring-demo.db ]; then \
		echo "==> Generating a demo scoring database of $(DEMO_ORGS) organisations"; \
		$(FLASK) demo scoring-db --orgs $(DEMO_ORGS); \
	fi
	@echo "==> First sync from the scoring database (and the search index)"
	$(FLASK) sync run

## run: the portal on http://127.0.0.1:8000 (web + scheduler, embedded SQLite, demo data)
# Ctrl-C: honcho stops both processes and exits 130 (SIGINT) or 143 (SIGTERM); that is a clean stop, so
# the recipe ends with status 0. From a terminal, honcho runs as a job of its own (bash's `set -m`) that
# holds the terminal: Ctrl-C reaches honcho alone, not make, which would otherwise kill itself with the
# same signal after its recipe (GNU make does) and end with status 130. Without a terminal there is no
# Ctrl-C; a SIGINT to make's process group still stops honcho, and make reports no error.
run: SHELL := /bin/bash
run: setup
	@echo "==> Starting the web server ($${PORTAL_BIND:-127.0.0.1:8000}) and the scheduler; Ctrl-C stops both"
	@if [ -t 0 ]; then set -m; fi; $(BIN)/honcho start; status=$$?; \
	if [ $$status -eq 0 ] || [ $$status -eq 130 ] || [ $$status -eq 143 ]; then echo "==> Stopped."; else exit $$status; fi

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

## bench: every benchmark under bench/ at Beijing scale (60,000 organisations), about 15 minutes; writes their output into docs/benchmarks.md and exits 1 on a missed goal
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/all.py --write-docs

## bench-national: the national-scale run (900,000 organisations on PostgreSQL), about 30 minutes
bench-national: $(VENV)/.installed-dev
	$(BIN)/python bench/national.py --sizes 90000,900000
	$(BIN)/python bench/search.py --sizes 900000 --skip-fts
	$(BIN)/python bench/export.py --sizes 900000

## security-scan: sqlmap against every endpoint that takes input, on loopback (see docs/security.md)
security-scan: $(VENV)/.installed-dev
	$(BIN)/python bench/sqlmap_scan.py

## babel-extract, babel-update, babel-compile: the translation catalogues (extract the messages, update zh and en, compile)
babel-extract: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --add-location=file --sort-by-file --project=portal -o portal/translations/messages.pot .

babel-update: babel-extract
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching --ignore-obsolete

babel-compile: $(VENV)/.installed
	$(BIN)/pybabel compile -d portal/translations --statistics

## clean: remove the virtual environment and instance/ (the portal database, demo data, index, downloads)
clean:
	rm -rf $(VENV) instance
