# Leadrelay: one entry point for running, testing and benchmarking the system.
SHELL := /bin/bash
PYTHON ?= python3
TOOLS := .leadrelay/tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help install run demo-model test test-unit test-system test-faults lint schemas bench up down clean

help:
	@echo "make run     start broker + database (embedded unless configured) and all five services"
	@echo "make test    run the whole test suite"
	@echo "make demo-model  train the demo conversion model from ../shared/datasets/x-education (make run does it too)"
	@echo "make test-faults  the full fault run (kills, PostgreSQL restart, broker pause, rebalances), then on three Kafka brokers (leaders killed, rolling restart); figures to docs/benchmarks.md"
	@echo "make bench   every benchmark; figures to docs/benchmarks.md"
	@echo "make lint    ruff + mypy"
	@echo "make schemas regenerate docs/events/*.json and docs/asyncapi.json from the event models"
	@echo "make up/down docker compose (needs a Docker engine)"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv>=0.5"

$(VENV)/.installed: $(UV) pyproject.toml shared/pyproject.toml devkit/pyproject.toml $(wildcard services/*/pyproject.toml)
	$(UV) sync --all-packages --python $(PYTHON) --quiet
	@touch $@

install: $(VENV)/.installed

run: install
	$(PY) -m leadrelay.devkit.cli run

demo-model: install
	$(PY) -m leadrelay.devkit.cli demo-model

test: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy shared/src devkit/src services/*/src
	$(PY) -m pytest -q --durations=25

test-unit: install
	$(PY) -m pytest -q shared/tests/unit services/*/tests/unit

test-system: install
	$(PY) -m pytest -q tests/system

test-faults: install
	$(PY) tests/system/fault_suite_full.py --write
	$(PY) tests/system/fault_suite_full.py --cluster --write

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy shared/src devkit/src services/*/src

schemas: install
	$(PY) -m leadrelay.cli schemas --out docs/events

bench: install
	$(PY) bench/machine.py
	$(PY) bench/capture_intake.py --write
	$(PY) bench/scoring_latency.py --write
	$(PY) bench/routing_decision.py --write
	$(PY) bench/sla_deadlines.py --write
	$(PY) bench/service_capacity.py --write
	$(PY) bench/broker_growth.py --write
	$(PY) bench/e2e.py --broker kafka --rates 200,500,1000 --seconds 40 --write
	$(PY) bench/e2e.py --broker tansu --rates 200,500,1000 --seconds 40 --write
	$(PY) bench/delivery_latency.py --rate 200 --seconds 40 --write

up:
	docker compose up --build -d

down:
	docker compose down -v

clean:
	rm -rf $(VENV) .leadrelay
