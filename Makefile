# Two commands for a new machine: `make run` (install and open the app) and `make test`
# (install the test tools and run every check). Both only reinstall when pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PYQTGRAPH_QT_LIB := PySide6

.PHONY: run test lint bench demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-app: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-app

run: $(VENV)/.installed-app
	$(BIN)/truceline

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

# Performance budgets on a 1,000,000-incident database (built once, kept in .bench/).
bench: $(VENV)/.installed-test
	$(BIN)/pytest tests/benchmarks -m bench -s

clean:
	rm -rf $(VENV) build dist *.egg-info .bench
