# Everything runs in .venv, created on first use from the Python 3.11 on PATH.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test schema bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(STAMP)  ## crawl the local sandbox into output/demo and summarise it
	$(VENV)/bin/qacrawler demo

test: $(STAMP)  ## the whole offline test suite
	$(VENV)/bin/python -m pytest

bench: $(STAMP)  ## benchmarks: 20,000-page sandbox side by side with a no-op spider and a requests+bs4 script, plus a 100,000-page crawl for memory
	$(VENV)/bin/python -m benchmarks.run --pages 20000 --large 100000 --out benchmarks/results.json

schema: $(STAMP)  ## regenerate schemas/ and README's field table from the pydantic models
	$(VENV)/bin/python -m qacrawler.schema .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
