# evalkit: two commands do everything on a fresh machine (Python 3.11 + pip, no conda).
#   make report   build the demo evaluation and render its report into reports/demo/
#   make test     run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO   := data/demo
JOBS   ?= auto

.PHONY: install demo report test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 2>/dev/null
	$(BIN)/python -m pip install --quiet -e '.[dev]' 2>/dev/null || $(BIN)/python -m pip install -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

$(DEMO)/evaluation.yml: $(STAMP)
	$(BIN)/evalkit demo --out $(DEMO)

demo: $(DEMO)/evaluation.yml

report: demo
	$(BIN)/evalkit validate $(DEMO)
	$(BIN)/evalkit report --config $(DEMO)/evaluation.yml --period latest --out reports/demo

# The notebooks run against the demo evaluation (their default config_path), one kernel per
# notebook file (--dist loadfile keeps a notebook's cells on one worker).
test: $(STAMP) $(DEMO)/evaluation.yml
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --nbval-lax tests notebooks

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_scoring.py
	$(BIN)/python benchmarks/bench_report.py

clean:
	rm -rf $(VENV) $(DEMO) reports/demo
