# Jizhen: `make run` starts the dashboard with demo data; `make test` runs the whole suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOUSEHOLDS ?= 30000
PORT ?= 8501
API_PORT ?= 8600

.PHONY: run test install demo bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Idempotent: creates or upgrades the schema and fills an empty database (SQLite by default, or
# whatever DATABASE_URL names) with the Zhongxing demo; a database with data is left alone.
demo: $(STAMP)
	$(BIN)/jizhen init
	$(BIN)/jizhen demo --households $(HOUSEHOLDS) --seed 1 --if-empty

# The dashboard on $(PORT) and the intake API (Open311) on $(API_PORT); Ctrl-C stops both.
run: demo
	$(BIN)/jizhen api --port $(API_PORT) & api=$$!; \
	trap 'kill $$api 2>/dev/null; wait $$api 2>/dev/null' EXIT INT TERM; \
	$(BIN)/jizhen dashboard --port $(PORT)

# Two test processes (pytest-xdist), a test file each at a time (its module fixtures built once);
# TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= 2

test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

bench: $(STAMP)
	$(BIN)/python benchmarks/risk_bench.py --households 100000

clean:
	rm -rf $(VENV) var/*.db var/*.db-wal var/*.db-shm var/audit-anchor
