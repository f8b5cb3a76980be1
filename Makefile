# exprsn-pds: `make run` starts the server, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install run test lint typecheck typing-tree bench clean

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
	$(BIN)/python bench/images_bench.py
	$(BIN)/python bench/video_bench.py

lint: install
	$(BIN)/pytest tests/test_quality.py

# mypy and editors cannot follow the editable install's import hook, so they read the
# package through a tree of links spelled the way it is installed (docs/architecture.md):
# exprsn_pds/<entry> -> core/<entry>, exprsn_pds/plugins -> plugins/, .../lexicons -> lexicons/.
# pyproject.toml points mypy (mypy_path) and pyright/Pylance (extraPaths) at it. Re-run
# after adding a file or folder directly under core/; deeper files need nothing.
TYPING_TREE ?= build/typing
EXAMPLE := docs/examples/exprsn-pds-bookmarks

typing-tree:
	rm -rf $(TYPING_TREE)/exprsn_pds && mkdir -p $(TYPING_TREE)/exprsn_pds
	for entry in core/* plugins lexicons; do \
	  [ "$${entry##*/}" = __pycache__ ] || ln -s "$(CURDIR)/$$entry" $(TYPING_TREE)/exprsn_pds/; \
	done

typecheck: install typing-tree
	MYPYPATH=$(TYPING_TREE):$(EXAMPLE) $(BIN)/mypy -p exprsn_pds -p exprsn_pds_bookmarks

clean:
	rm -rf $(VENV) build *.egg-info tests/interop/node_modules
