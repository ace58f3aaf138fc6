# Everything runs in .venv, created on first use from the Python 3.11 on PATH.
# Installs are pinned by constraints.txt (every package, exact versions), so a scheduled deployment and CI run
# what the tests passed with; `make lock` re-resolves it from pyproject.toml's lower bounds.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed
LOCK := constraints.txt

.PHONY: demo lint test schema bench lock clean

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -c $(LOCK) -e '.[dev]'
	touch $@

demo: $(STAMP)  ## crawl the local sandbox into output/demo and summarise it
	$(VENV)/bin/qacrawler demo

lint: $(STAMP)  ## ruff, then mypy (settings in pyproject.toml)
	$(VENV)/bin/ruff check qacrawler tests benchmarks
	$(VENV)/bin/mypy

test: lint  ## lint and types, then the whole offline test suite
	$(VENV)/bin/python -m pytest

bench: $(STAMP)  ## benchmarks: 20,000-page sandbox side by side with a no-op spider and a requests+bs4 script, plus a 100,000-page crawl for memory
	$(VENV)/bin/python -m benchmarks.run --pages 20000 --large 100000 --out benchmarks/results.json

schema: $(STAMP)  ## regenerate schemas/ and README's field table from the pydantic models
	$(VENV)/bin/python -m qacrawler.dataset.schema .

lock:  ## re-resolve constraints.txt: the newest versions pyproject.toml allows, installed in a fresh venv and frozen
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet '.[dev]'
	{ echo "# Exact versions for make, CI and deployments; regenerate with 'make lock' (Python 3.11, Linux)."; \
	  .lock-venv/bin/python -m pip freeze --exclude qacrawler; } > $(LOCK)
	rm -rf .lock-venv build *.egg-info

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
