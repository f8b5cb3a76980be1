# exprsn-pds: `make run` starts the server, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install run test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(INSTALLED): pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(INSTALLED)

install: $(INSTALLED)

run: install
	$(BIN)/pds serve

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/pytest tests/test_quality.py

clean:
	rm -rf $(VENV) build *.egg-info
