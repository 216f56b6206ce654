# Relais — everything a newcomer needs is `make up` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv

UV_VERSION := 0.13.9
TOOLS := $(CURDIR)/.local/tools
UV := $(TOOLS)/bin/uv
LOCAL := deploy/local
PYTEST_ARGS ?=

.PHONY: help up down status test test-unit test-integration test-e2e infra infra-down services services-restart \
        demo deps lint schemas bench clean reset

help:  ## Show the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(UV):
	@python3 -m venv $(TOOLS) && $(TOOLS)/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: $(UV) uv.lock pyproject.toml libs/*/pyproject.toml services/*/pyproject.toml tools/*/pyproject.toml
	@$(UV) sync --frozen --python python3.11 -q
	@touch $@

deps: .venv/.synced  ## Install the locked Python environment (.venv)

infra: deps  ## Start local Kafka (KRaft) and PostgreSQL, installing them (and kcat) if needed
	@$(LOCAL)/tools.sh install
	@$(LOCAL)/postgres.sh start
	@$(LOCAL)/kafka.sh start

infra-down:  ## Stop Kafka and PostgreSQL
	@$(LOCAL)/kafka.sh stop
	@$(LOCAL)/postgres.sh stop

services: infra  ## Migrate and start every service's API and worker
	@$(LOCAL)/services.sh start

services-restart: infra  ## Restart the services on the current code
	@$(LOCAL)/services.sh restart

up: services  ## Everything: infra, services, a demo campaign; prints where to look
	@.venv/bin/relais demo

down:  ## Stop the services, Kafka and PostgreSQL
	@$(LOCAL)/services.sh stop
	@$(LOCAL)/kafka.sh stop
	@$(LOCAL)/postgres.sh stop

status:  ## What runs
	@$(LOCAL)/postgres.sh status; $(LOCAL)/kafka.sh status; $(LOCAL)/services.sh status
	@-.venv/bin/relais status 2>/dev/null

test: services-restart  ## The whole suite (unit, contract, integration, end-to-end) on the running stack
	@.venv/bin/pytest $(PYTEST_ARGS)

test-unit: deps  ## Only the fast tests (no Kafka, no PostgreSQL)
	@.venv/bin/pytest -m "not integration and not e2e" $(PYTEST_ARGS)

lint: deps  ## ruff
	@.venv/bin/ruff check libs services tools tests bench

schemas: deps  ## Regenerate schemas/events/*.json from the Python contract models
	@.venv/bin/python -m relais_cli.schemas write

bench: infra  ## Benchmarks (BENCH="intake campaigns billing"), each next to a raw baseline of the same run
	@.venv/bin/python -m bench $(BENCH)

clean:  ## Remove the Python environment (keeps Kafka/PostgreSQL data)
	rm -rf .venv $(TOOLS)

reset: down  ## Stop everything and delete all local data
	@$(LOCAL)/kafka.sh reset
	@$(LOCAL)/postgres.sh reset
