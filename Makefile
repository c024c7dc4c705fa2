# Two entry points for a fresh machine: `make demo` and `make test`. Both create .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.14.1 torchvision==0.29.1
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# The undefended split and DISCO side by side, on the FairFace faces bundled in the package.
demo: $(STAMP)
	$(BIN)/privattack suites
	$(BIN)/privattack evaluate --defense split --suite fairface_input --scale quick --trials 0 --quiet --out runs/demo-split
	$(BIN)/privattack evaluate --defense disco --defense-param ratio=0.8 --suite fairface_input --scale quick --trials 0 --quiet --out runs/demo-disco

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) build *.egg-info runs
