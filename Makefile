# Two entry points for a fresh machine: `make demo` and `make test`.
# Each creates .venv when missing and installs the project into it first.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test suite test-faults lint typecheck unit browser services bench bench-all clean

# WeasyPrint (PDF documents) needs Pango, HarfBuzz and a font from the system, and the state diagram
# page Graphviz's dot. The browser tests drive Debian's chromium (never a downloaded one) with a
# metric-compatible font, and the document tests read PDFs back with poppler's pdftotext: only `make test`
# and `make browser` install those.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core graphviz
TEST_PACKAGES := chromium fonts-liberation poppler-utils

$(STAMP): pyproject.toml
	@bash .ci/system-packages $(SYSTEM_PACKAGES)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/cycle demo
	$(BIN)/cycle users demo

services:
	@bash .ci/services

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The whole suite: lint, types, unit and integration tests against the real
# PostgreSQL (and, for the workers, Redis) of this machine, started if down.
test: $(STAMP) services lint typecheck suite

# The tests alone, as `make test` runs them after lint and types, in SUITE_PROCESSES processes side by side
# (pytest-xdist; most tests wait on workers, servers or the browser rather than compute). The browser tests
# all run in one of them, in file order, on one site (tests/parallel.py). The 25 slowest are listed at the end.
SUITE_PROCESSES ?= 3
suite: $(STAMP)
	@bash .ci/system-packages $(TEST_PACKAGES)
	$(BIN)/pytest -n $(SUITE_PROCESSES) --durations=25

# Faults at seeded random moments (Redis SIGKILLed, PostgreSQL stopped -m immediate on a cluster of the
# test's own, workers killed mid-send) and the whole-cycle fault test (tests/integration/test_faults.py), about
# six minutes; not part of `make test`. Replay a failure with
# CYCLE_FAULT_SEED=<the seed it printed>. Figures: docs/reliability.md.
test-faults: $(STAMP) services
	$(BIN)/pytest -m faults -s

unit: $(STAMP)
	$(BIN)/pytest -m "not integration"

# The pages in Debian's chromium only (part of `make test`); screenshots land in docs/screenshots/.
browser: $(STAMP) services
	@bash .ci/system-packages $(TEST_PACKAGES)
	$(BIN)/pytest -m browser

bench: $(STAMP) services
	$(BIN)/python bench/transitions.py

# Every benchmark, about six minutes; figures and what they mean: docs/performance.md.
bench-all: bench
	$(BIN)/python bench/sweep.py
	$(BIN)/python bench/relay.py
	$(BIN)/python bench/mail.py
	$(BIN)/python bench/documents.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
