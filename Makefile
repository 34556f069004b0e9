# Two commands do everything on a fresh machine with Python >= 3.11 and make:
#   make demo   create .venv, install, open the dashboard on the embedded demo fleet
#   make test   create .venv, install with test extras, run lint + type check + the whole suite
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
            command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV   := .venv
BIN    := $(VENV)/bin
# Re-install whenever the project metadata changes.
STAMP_RUN  := $(VENV)/.stamp-run
STAMP_TEST := $(VENV)/.stamp-test

.PHONY: demo test lint typecheck unit bench soak demo-server clean help

help:
	@echo "make demo   - open the dashboard on the demo fleet"
	@echo "make test   - lint, type check and run the whole test suite"
	@echo "make bench  - run the benchmarks and print their figures"
	@echo "make soak   - the soak test for SOAK_SECONDS (default 600) against a flapping fleet"

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "error: Python >= 3.11 not found (set PYTHON=/path/to/python3.11)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(STAMP_TEST): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(STAMP_RUN)

demo: $(STAMP_RUN)
	$(BIN)/umig-tui --demo

demo-server: $(STAMP_RUN)
	$(BIN)/umig-tui demo-server --port 8765

lint: $(STAMP_TEST)
	$(BIN)/ruff check umig_tui tests bench
	$(BIN)/ruff format --check umig_tui tests bench
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP_TEST)
	$(BIN)/mypy

# A worker per CPU, and at least three: the suite waits on its servers and timers about half
# the time (on 2 cores, 2 workers took 5m43s, 3 workers 4m25s). A file's tests stay together
# (module fixtures start their servers once).
WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ "$$n" -lt 3 ] && echo 3 || echo $$n)
unit: $(STAMP_TEST)
	$(BIN)/pytest -q -n $(WORKERS) --dist loadfile

test: lint typecheck unit

bench: $(STAMP_TEST)
	$(BIN)/python bench/run_all.py

# The suite soaks for 24 s; this runs the same test for minutes and prints its figures.
SOAK_SECONDS ?= 600
soak: $(STAMP_TEST)
	UMIG_SOAK_SECONDS=$(SOAK_SECONDS) $(BIN)/pytest -q -s -p no:cacheprovider --timeout=0 tests/integration/test_soak.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
