# Jizhen: `make run` starts the dashboard with demo data; `make test` runs the whole suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOUSEHOLDS ?= 30000
PORT ?= 8501

.PHONY: run test install demo bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

var/.demo-ready: $(STAMP)
	mkdir -p var
	$(BIN)/jizhen init
	$(BIN)/jizhen demo --households $(HOUSEHOLDS) --seed 1 --if-empty
	touch var/.demo-ready

demo: var/.demo-ready

run: var/.demo-ready
	$(BIN)/jizhen dashboard --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/risk_bench.py --households 100000

clean:
	rm -rf $(VENV) var/*.db var/.demo-ready
