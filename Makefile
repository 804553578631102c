# liushou — 农村“三留守”人员摸排工作台.  `make help` lists the targets.
# Everything installs into .venv; a fresh machine needs only python3, make and git.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KERNEL := liushou
DEMO   := outputs/demo

.DEFAULT_GOAL := help
LAB    := $(VENV)/.lab-installed
CONSTRAINTS := constraints.txt

.PHONY: help install demo test test-wheel lint typecheck lab lock wheelhouse bench bench-quick clean-outputs libreoffice

help:  ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "} {printf "  make %-14s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev,dask]'
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (liushou)" >/dev/null
	@touch $(STAMP)

install: $(STAMP)  ## Create .venv, install the project and register the "liushou" Jupyter kernel

demo: $(STAMP)  ## The sample county, the whole batch, a month's payroll, every department's copy (outputs/demo)
	$(BIN)/liushou demo --out $(DEMO)

test: $(STAMP)  ## Lint, type-check and run the whole test suite
	$(BIN)/ruff check liushou_core tests bench wheelhouse
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup; rc=$$?; [ $$rc -eq 5 ] && rc=0; exit $$rc

# The 问题数据清单 round-trip tests save the list through LibreOffice as a township might; without soffice they
# skip and say so. Not part of `make test`: the install takes minutes (Debian/Ubuntu, apt-get).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
libreoffice:  ## Install LibreOffice Calc (headless) for the problem-list round-trip tests, if soffice is missing
	@command -v soffice >/dev/null || { $(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libreoffice-calc-nogui; }
	@soffice --version

lint: $(STAMP)  ## ruff check and format check
	$(BIN)/ruff check liushou_core tests bench wheelhouse
	$(BIN)/ruff format --check liushou_core tests bench wheelhouse

typecheck: $(STAMP)  ## mypy on the package
	$(BIN)/mypy

bench: $(STAMP)  ## Benchmarks: clean + payroll on the sample, 1M and 10M people beside their I/O floor (ratio, peak memory, targets); speed-up; batch vs floor (bench/results/)
	$(BIN)/python bench/run.py

bench-quick: $(STAMP)  ## The benchmarks on the sample county and 100,000 people, each beside its I/O floor (a few minutes)
	$(BIN)/python bench/run.py --quick

test-wheel: $(STAMP)  ## Build the wheel, install it in a clean venv outside the checkout, run liushou demo/init there
	$(BIN)/python -m pytest -q -m wheel tests/test_wheel.py

$(LAB): $(STAMP)
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev,dask,lab]'
	@touch $(LAB)

lab: $(LAB)  ## Open JupyterLab on the notebook templates (installs JupyterLab once)
	$(BIN)/jupyter lab liushou_core/notebooks/

lock:  ## Regenerate constraints.txt: the newest versions pyproject.toml allows, installed together and tested
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet '.[dev,dask,lab]'
	{ echo "# make lock: the versions make install, CI and make wheelhouse use (every extra; regenerate, then make test)"; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable | grep -viE '^(liushou|pip|setuptools|wheel) ?(==|@)'; } > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)
	rm -rf .lock-venv

wheelhouse: $(STAMP)  ## Offline installer in dist/wheelhouse: the wheel and every dependency for Windows x64 and Linux
	$(BIN)/python wheelhouse/build.py dist/wheelhouse

clean-outputs:  ## Remove everything generated under outputs/ (keeps its README)
	find outputs -mindepth 1 -not -name README.md -exec rm -rf {} +
