# Two commands for a new machine: `make run` (install and open the app) and `make test`
# (install the test tools and run every check). Both only reinstall when pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PYQTGRAPH_QT_LIB := PySide6

.PHONY: run test test-under-load lint bench demo dist smoke clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-app: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-app

$(VENV)/.installed-dist: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dist]'
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

# The suite three times in a row while two busy loops load both cores (tests/under_load.sh).
test-under-load: $(VENV)/.installed-test
	tests/under_load.sh

# Performance budgets on a 1,000,000-incident database (built once, kept in .bench/).
bench: $(VENV)/.installed-test
	$(BIN)/pytest tests/benchmarks -m bench -s

# A self-contained build (PyInstaller one-folder) and its versioned .tar.gz in dist/; see packaging/.
dist: $(VENV)/.installed-dist
	$(BIN)/python packaging/build.py

# Run the newest dist/*.tar.gz without Python: --version, demo, check, the window, install/uninstall.
smoke:
	packaging/smoke_test.sh

clean:
	rm -rf $(VENV) build dist *.egg-info .bench
