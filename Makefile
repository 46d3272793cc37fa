# The two set-up commands in README.md: `make demo` and `make test`.
# `make demo` installs the engine alone (`pip install allocator`: every command); `make test` (and
# `make install`) the engine with every extra and the test tools (`.[dev,all]`). Extras: pyproject.toml.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CORE   := $(VENV)/.installed-core
STAMP  := $(VENV)/.installed-all

.PHONY: install demo test bench bench-smoke clean mutation fuzz

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(CORE): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $(CORE)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev,all]"
	touch $(CORE) $(STAMP)

install: $(STAMP)

## Install the engine, then solve the national central plan and its baseline, the trend status quo (the same
## demand and historical procurement pace under today's rules), and the high path's pair; print each comparison and
## write the four plans to out/ (scenarios/uk-2025/report.py).
demo: $(CORE)
	$(BIN)/python scenarios/uk-2025/report.py --out out

## Install the engine, every extra and the test tools, then run the whole test suite.
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

## Mutation testing (mutmut, config in pyproject.toml [tool.mutmut]) of model.py, data.py and verify.py:
## about 20 minutes on 2 cores; prints the score per module. Leaves mutants/ (git-ignored).
mutation: $(STAMP)
	$(BIN)/pip install --quiet "mutmut>=3.8,<4"
	rm -rf mutants
	$(BIN)/mutmut run --max-children $${MUTMUT_CHILDREN:-2}
	$(BIN)/python tools/mutation_score.py

## Coverage-guided fuzzing of the YAML/CSV loader with atheris (extra [fuzz]) for FUZZ_SECONDS (default 60).
## Crashes are written to fuzz/crashes/; new interesting inputs to fuzz/work-corpus/ (both git-ignored).
FUZZ_SECONDS ?= 60
fuzz: $(STAMP)
	$(BIN)/pip install --quiet -e ".[fuzz]"
	mkdir -p fuzz/work-corpus fuzz/crashes
	$(BIN)/python fuzz/fuzz_loader.py -max_total_time=$(FUZZ_SECONDS) -timeout=20 -rss_limit_mb=4096 \
		-artifact_prefix=fuzz/crashes/ fuzz/work-corpus fuzz/corpus
