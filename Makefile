# Leerlingroute task runner. The README's two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint types imports pytest bench demo clean

# Install everything (pinned by constraints.txt) and run the main job on embedded defaults.
run: $(STAMP)
	$(BIN)/leerlingroute serve

# Install everything and run every check and test (SQLite, a temporary PostgreSQL 15, headless Chromium).
test: $(STAMP)
	$(MAKE) check
	.ci/with-postgres .ci/with-chromium $(BIN)/python -m pytest

check: lint types imports

lint: $(STAMP)
	$(BIN)/ruff check .

types: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/throughput.py
	.ci/with-postgres $(BIN)/python bench/sweep.py

demo: $(STAMP)
	$(BIN)/leerlingroute demo

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache
