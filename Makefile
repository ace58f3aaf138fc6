# Everything runs in .venv, created on first use from the Python 3.11 on PATH.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test schema clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(STAMP)  ## crawl the local sandbox into output/demo and summarise it
	$(VENV)/bin/qacrawler demo

test: $(STAMP)  ## the whole offline test suite
	$(VENV)/bin/python -m pytest

schema: $(STAMP)  ## regenerate schemas/ and README's field table from the pydantic models
	$(VENV)/bin/python -m qacrawler.schema .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
