# liushou — 农村“三留守”人员摸排工作台.  `make help` lists the targets.
# Everything installs into .venv; a fresh machine needs only python3, make and git.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KERNEL := liushou
DEMO   := outputs/demo

.DEFAULT_GOAL := help
.PHONY: help install demo test lint typecheck lab bench bench-quick clean-outputs

help:  ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "} {printf "  make %-14s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (liushou)" >/dev/null
	@touch $(STAMP)

install: $(STAMP)  ## Create .venv, install the project and register the "liushou" Jupyter kernel

demo: $(STAMP)  ## Build the sample county and run the whole batch on it (results in outputs/demo)
	$(BIN)/liushou sample --out $(DEMO)/sample
	$(BIN)/liushou run params/runs/sample.yaml
	$(BIN)/liushou payroll --people $(DEMO)/run/clean/people.parquet --month 2018-01 --out $(DEMO)/run/payroll/高龄补贴_2018-01.parquet
	$(BIN)/liushou share $(DEMO)/run --all

test: $(STAMP)  ## Lint, type-check and run the whole test suite
	$(BIN)/ruff check liushou_core tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup; rc=$$?; [ $$rc -eq 5 ] && rc=0; exit $$rc

lint: $(STAMP)  ## ruff check and format check
	$(BIN)/ruff check liushou_core tests bench
	$(BIN)/ruff format --check liushou_core tests bench

typecheck: $(STAMP)  ## mypy on the package
	$(BIN)/mypy

bench: $(STAMP)  ## Benchmarks: clean + payroll on the sample, 1M and 10M people; speed-up; batch vs floor (bench/results/)
	$(BIN)/python bench/run.py

bench-quick: $(STAMP)  ## The benchmarks on the sample county and 100,000 people (a few minutes)
	$(BIN)/python bench/run.py --quick

lab: $(STAMP)  ## Open JupyterLab on notebooks/ (installs JupyterLab on first use)
	$(BIN)/python -m pip install --quiet -e '.[dev,lab]'
	$(BIN)/jupyter lab notebooks/

clean-outputs:  ## Remove everything generated under outputs/ (keeps its README)
	find outputs -mindepth 1 -not -name README.md -exec rm -rf {} +
