# Two commands do all set-up on a fresh machine:
#   make book   create .venv, install, execute every notebook (quick profile), build _build/html;
#               a notebook unchanged since its last run is not rerun (make book FORCE=1 reruns all)
#   make test   create .venv, install, run the test suite
# Also: make lab (JupyterLab, notebooks open as notebooks), make check-html (every built page in
# headless Chromium), make lint.
# Override the torch pin if it does not exist for your platform: make book TORCH="torch torchvision"

VENV ?= .venv
PY := $(VENV)/bin/python
TORCH ?= torch==2.14.1 torchvision==0.29.1
PROFILE ?= quick
FORCE ?=

.PHONY: book test lint lab check-html clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

book: $(VENV)/.installed
	$(VENV)/bin/dataprints book --profile $(PROFILE) $(if $(FORCE),--force)

lab: $(VENV)/.installed
	$(PY) -m dataprints.lab

check-html: $(VENV)/.installed
	$(PY) -m dataprints.browser

test: $(VENV)/.installed
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests notebooks benchmarks

clean:
	rm -rf _build notebooks/*/*.ipynb notebooks/*.ipynb notebooks/*/*.execution.json \
		notebooks/*.execution.json results/quick
