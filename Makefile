# Two entry points for a fresh machine: `make demo` and `make test`. Both create .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint venv clean

# constraints.txt pins every dependency to the versions the recorded numbers were measured with.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.14.1 torchvision==0.29.1
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,faces]'
	touch $(STAMP)

venv: $(STAMP)

# A pretrained CIFAR-10 ResNet-20 split at two depths, then the undefended split against DISCO
# on faces, all on the data bundled in the package; the reports go to runs/demo/. tools/pinned
# fixes the CPU code paths; its figures are the README's on the machines that measured them,
# not on every x86-64 machine (docs/development.md says where they differ).
demo: $(STAMP)
	tools/pinned $(BIN)/python -m privattack.demo --out runs/demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test: lint
	tools/pinned $(BIN)/pytest

clean:
	rm -rf $(VENV) build *.egg-info runs
