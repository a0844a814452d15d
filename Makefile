# Facilitator: `make run` serves the demo, `make test` runs every test. Both set themselves up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app facilitator
STAMP := $(VENV)/.installed

.PHONY: install system-deps run test test-postgres lint db-upgrade demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,postgres]"
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium and its driver for the browser tests (no browser downloads are needed).
system-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

db-upgrade: install
	$(FLASK) db upgrade heads

demo: db-upgrade
	$(FLASK) demo

run: demo
	$(FLASK) run --host 127.0.0.1 --port 5000

test: install system-deps
	$(BIN)/python -m pytest

test-postgres: install system-deps
	FACILITATOR_TEST_DATABASE_URL=$${FACILITATOR_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
		$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
