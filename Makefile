# Leerlingroute task runner. The README's two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint types imports pytest bench bench-api bench-compare bench-verzuim bench-attack demo clean

# Install everything (pinned by constraints.txt) and run the main job on embedded defaults.
run: $(STAMP)
	$(BIN)/leerlingroute serve --demo

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

# The API with 10k, 100k and 1M cases (issue 5), about 12 minutes.
bench-api: $(STAMP)
	.ci/with-postgres $(BIN)/python bench/api_scale.py --json bench/results/api_scale.json

# The engine beside raw sqlite3, SpiffWorkflow and naive Prefect, the sweep, and the API at 100k and 1M on SQLite
# and PostgreSQL, in one run (issue 18), about 20 minutes; its last line is the ratios.
bench-compare: $(STAMP)
	.ci/with-postgres $(BIN)/python bench/compare.py --api-sizes 100000 1000000

# Thuiszitter detection with 25k, 250k and 2.5M pupils (issue 6), about 30 minutes.
bench-verzuim: $(STAMP)
	.ci/with-postgres $(BIN)/python bench/verzuim_scale.py --pupils 25000 250000 2500000

# The resource attacks of issue 12 (big bodies, 200 streams, a sign-in flood, SSRF forms), about a minute.
bench-attack: $(STAMP)
	$(BIN)/python bench/attack.py --json bench/results/attack.json

demo: $(STAMP)
	$(BIN)/leerlingroute demo

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache
