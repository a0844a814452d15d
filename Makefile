# Facilitator: `make run` serves the demo, `make test` runs every test. Both set themselves up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app facilitator
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
# ical.js, one of the calendar oracles the tests read every invite and feed with (tests/oracles/).
ORACLES := tests/oracles
NODE_STAMP := $(ORACLES)/node_modules/.installed
# Test processes (pytest-xdist): two for a two-core machine; 0 runs the suite in one process.
PYTEST_WORKERS ?= 2

.PHONY: install install-run system-deps node-deps run test test-postgres lint db-upgrade demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# What the app needs at run time: the package itself (with gunicorn and honcho).
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# Everything for development and the tests: the dev and postgres extras too.
$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev,postgres]"
	touch $@ $(RUN_STAMP)

# npm ci installs exactly the locked ical.js (again only when the package files change).
$(NODE_STAMP): $(ORACLES)/package.json $(ORACLES)/package-lock.json | node-deps
	cd $(ORACLES) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(DEV_STAMP) $(NODE_STAMP)

install-run: $(RUN_STAMP)

# Debian's packages for the tests, each installed only when missing: Chromium and its driver for the
# browser tests (no browser downloads are needed), libical for the calendar oracle's restriction
# check, Node.js for ical.js, Dovecot for the calendar-reply tests (a real IMAP server on loopback).
# The app itself needs Pango and HarfBuzz for WeasyPrint's PDFs (and a font: DejaVu), the tests
# poppler's pdftotext to read them back.
APT_INSTALL = if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq

system-deps: node-deps
	@missing=; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium chromium-driver"; \
	pkg-config --exists libical 2>/dev/null || missing="$$missing libical-dev pkg-config"; \
	{ test -x /usr/sbin/dovecot || command -v dovecot >/dev/null 2>&1; } || missing="$$missing dovecot-imapd"; \
	ldconfig -p | grep -q 'libpangoft2-1.0.so.0' || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	ldconfig -p | grep -q 'libharfbuzz-subset.so.0' || missing="$$missing libharfbuzz-subset0"; \
	fc-list 2>/dev/null | grep -q 'DejaVu Sans' || missing="$$missing fonts-dejavu-core fontconfig"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then $(APT_INSTALL) $$missing >/dev/null; fi

node-deps:
	@if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
		$(APT_INSTALL) nodejs npm >/dev/null; \
	fi

db-upgrade: $(RUN_STAMP)
	$(FLASK) db upgrade heads

demo: db-upgrade
	$(FLASK) demo

# The demo signs in without two-step sign-in (export FACILITATOR_MFA_REQUIRED_ROLES to require it).
# Invites name a monitored mailbox as their organizer, which each event keeps for life (export
# FACILITATOR_ORGANIZER_EMAIL to use your own).
# The web app and its workers (outbox, provider sync, attendance import) run together from the
# Procfile; Ctrl-C stops them all.
run: export FACILITATOR_MFA_REQUIRED_ROLES ?=
run: export FACILITATOR_ORGANIZER_EMAIL ?= psl-sessions@facilitator.example
run: export FACILITATOR_ORGANIZER_NAME ?= PSL Sessions
run: demo
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --procfile Procfile

test: install system-deps
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS)

test-postgres: install system-deps
	FACILITATOR_TEST_DATABASE_URL=$${FACILITATOR_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
		$(BIN)/python -m pytest -n $(PYTEST_WORKERS)

lint: install
	$(BIN)/ruff check .

# Static security checks: bandit (medium and high findings fail) and our own semgrep rules, offline.
.PHONY: security
security: install
	$(BIN)/bandit -c pyproject.toml -r facilitator integrations --severity-level medium --quiet
	SEMGREP_SEND_METRICS=off SEMGREP_ENABLE_VERSION_CHECK=0 $(BIN)/semgrep scan --config .semgrep/rules.yml \
		--metrics=off --disable-version-check --no-git-ignore --error --quiet facilitator integrations templates

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Performance (bench/): `make bench` seeds a national-scale dataset and writes bench/results.json and
# bench/RESULTS.md (BENCH_ARGS=--postgres for PostgreSQL); `make load` is the 10 o'clock load test
# against gunicorn and PostgreSQL (LOAD_ARGS=--sqlite for the embedded database). Loopback only.
.PHONY: bench load
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

load: install
	$(BIN)/python -m bench.load $(LOAD_ARGS)
