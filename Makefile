# The two set-up commands in README.md: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test bench bench-smoke clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Install, then solve the national central scenario and print the headline figures.
demo: $(STAMP)
	$(BIN)/allocator solve scenarios/uk-2025/central.yaml --out out/uk-2025-central --force --status-quo

## Install, then run the whole test suite.
test: $(STAMP)
	$(BIN)/python -m pytest -q

## Run the benchmarks at full size and rewrite benchmarks/RESULTS.md.
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

## Benchmarks at small sizes with timing disabled (CI): they cannot rot.
bench-smoke: $(STAMP)
	$(BIN)/python -m pytest -q benchmarks --benchmark-disable

clean:
	rm -rf $(VENV) out .pytest_cache .benchmarks
