# The two commands of the README: `make demo` and `make test`.
# Each creates .venv if missing and installs actloss with the extras it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-core fuzz bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# One stamp per extra set: re-install only when pyproject.toml changes.
$(VENV)/.installed-%: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[$*]'
	touch $@

demo: $(VENV)/.installed-all
	$(BIN)/actloss demo

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

# The suite with only numpy, scipy and the test tools (.ci/run runs it first): tests that need an
# extra skip and name it.
CORE := .venv-core
$(CORE)/.installed: pyproject.toml
	$(PYTHON) -m venv $(CORE)
	$(CORE)/bin/python -m pip install -q --upgrade pip
	$(CORE)/bin/python -m pip install -q -e '.[test-core]'
	touch $@

test-core: $(CORE)/.installed
	$(CORE)/bin/python -m pytest

# The long fuzz of the catalog: 100,000 examples over the fuzz tests (make test runs a few thousand).
fuzz: $(VENV)/.installed-test
	ACTLOSS_FUZZ_EXAMPLES=100000 $(BIN)/python -m pytest -k test_fuzz_ tests

bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) $(CORE) runs build src/*.egg-info .pytest_cache .hypothesis
