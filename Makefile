# govwatch: `make demo` runs the bundled demo, `make test` runs the whole test suite.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: demo test lint env postgresql clean bench-peers

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

env: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m demo

test: $(STAMP) lint postgresql
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# PostgreSQL's server binaries, for the tests that start a throwaway cluster of their own:
# installed from Debian packages when missing and we are root (CI); otherwise those tests say why
# they are skipped.
postgresql:
	@sh tests/setup_postgresql.sh

# The link benchmark's peers (LinkChecker, linkinator) under benchmarks/.peers/ (git-ignored).
bench-peers:
	PYTHON=$(PYTHON) sh benchmarks/setup_peers.sh

clean:
	rm -rf $(VENV) demo-out .pytest_cache .mypy_cache .ruff_cache
