# evalkit: two commands do everything on a fresh machine (Python 3.11 + pip, no conda).
#   make report   build the demo evaluation and render its report into reports/demo/
#                 (FORMATS=provider: the providers' own exports, into reports/demo_provider/)
#   make test     run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
JOBS   ?= auto
# canonical: evalkit's own templates; provider: the demo as its providers' own exports,
# read through mappings/ (docs/onboarding.md). Each has its own folder and reports, so
# switching FORMATS never reuses the other's demo: data/demo, data/demo_provider.
FORMATS ?= canonical
DEMO    ?= data/demo$(if $(filter provider,$(FORMATS)),_provider)
REPORTS ?= reports/$(notdir $(DEMO))

.PHONY: install demo report test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 2>/dev/null
	$(BIN)/python -m pip install --quiet -e '.[dev]' 2>/dev/null || $(BIN)/python -m pip install -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

$(DEMO)/evaluation.yml: $(STAMP)
	$(BIN)/evalkit demo --out $(DEMO) --formats $(FORMATS)

demo: $(DEMO)/evaluation.yml

report: demo
	$(BIN)/evalkit validate $(DEMO)
	$(BIN)/evalkit report --config $(DEMO)/evaluation.yml --period latest --out $(REPORTS)

# The checks first (fast, and a broken layer contract or type error is worth knowing before
# the slow tests), then the tests: unit and page tests, every docstring example of src/
# (--doctest-modules), and every cell of the report notebooks against the demo evaluation
# (their default config_path), one kernel per notebook file (--dist loadfile keeps a notebook's
# cells on one worker).
test: lint $(DEMO)/evaluation.yml
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --nbval-lax --doctest-modules src tests notebooks

# ruff (lint and format), the layer contracts of docs/architecture.md, and the type checker.
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_scoring.py
	$(BIN)/python benchmarks/bench_report.py

clean:
	rm -rf $(VENV) $(DEMO) $(REPORTS)
