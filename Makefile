PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install dev demo test lint fmt bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml src/miroir/language/_fastlayer.c | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/miroir demo $(if $(LANG_DEMO),--lang $(LANG_DEMO),) --out demo-out

test: $(STAMP)
	$(BIN)/python -m pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: $(STAMP)
	$(BIN)/pip install -q -e ".[bench]"
	$(BIN)/python bench/language_accuracy.py --split both
	$(BIN)/python bench/language_speed.py
	$(BIN)/python bench/ingest_speed.py
	$(BIN)/python bench/lenses_crm.py timing --scale 25
	$(BIN)/python bench/lenses_conv.py perf --scale 25
	$(BIN)/python bench/report_bench.py

clean:
	rm -rf $(VENV) demo-out .pytest_cache .mypy_cache .ruff_cache
