# The README's commands. Each works on a fresh machine that has only python3 and make:
# the first run creates .venv and installs the project with its dev extra.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

CHROMIUM := /usr/bin/chromium
JS     := tests/js
JSSTAMP := $(JS)/node_modules/.installed

.PHONY: demo test lint bench clean servers

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Logto's published packages (and Ajv) that the tests run as judges, pinned by the lockfile.
$(JSSTAMP): $(JS)/package.json $(JS)/package-lock.json
	cd $(JS) && npm ci --no-audit --no-fund --loglevel=error
	touch $(JSSTAMP)

# The admin console's tests drive Debian's Chromium (Playwright cannot download a browser here).
$(CHROMIUM):
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

demo: $(STAMP)
	$(BIN)/logto-connector demo

# The real servers the tests start on loopback (Redis; PostgreSQL), from Debian's packages.
servers:
	@command -v redis-server >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	  || { apt-get update && apt-get install -y redis-server postgresql; }

test: $(STAMP) $(JSSTAMP) $(CHROMIUM) servers
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check connector tests bench examples
	$(BIN)/mypy --strict

# `make bench BENCH_ARGS="--quick --only send,startup --output PATH"` passes options through.
bench: $(STAMP) $(JSSTAMP) servers
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(JS)/node_modules build dist .pytest_cache .mypy_cache .ruff_cache
