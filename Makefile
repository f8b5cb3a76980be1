# exprsn-pds: `make run` starts the server, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(INSTALLED): pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(INSTALLED)

NODE_DEPS := tests/interop/node_modules/.installed

$(NODE_DEPS): tests/interop/package.json tests/interop/package-lock.json
	cd tests/interop && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_DEPS)

install: $(INSTALLED)

run: install
	$(BIN)/pds serve

test: install $(NODE_DEPS)
	$(BIN)/pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/pds_bench.py
	$(BIN)/python bench/firehose_bench.py
	$(BIN)/python bench/mst_bench.py
	$(BIN)/python bench/datamodel_bench.py

lint: install
	$(BIN)/pytest tests/test_quality.py

clean:
	rm -rf $(VENV) build *.egg-info tests/interop/node_modules
