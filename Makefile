# City Data Exchange: the two commands are `make run` and `make test`.
# Everything they create lives under var/ (override with CDX_VAR=...).
SHELL := /bin/bash
.DEFAULT_GOAL := help
SCRIPTS := scripts
PYTEST_ARGS ?=
# The CKAN release: 2.12 (default) or 2.11, e.g. `make run CKAN=2.11`, `make test CKAN=2.11`.
CKAN ?= 2.12
export CDX_CKAN_VERSION := $(CKAN)
CDX_VENV_PY := $(or $(CDX_VAR),var)/$(if $(filter 2.11,$(CKAN)),venv-2.11,venv)/bin/python
BENCH_INI := var/$(if $(filter 2.11,$(CKAN)),bench-2.11,bench).ini
# What `make test` also runs on CKAN 2.11 after the whole suite on 2.12: the migrations,
# the route-enumerating leak test, the payment state machine (fewer runs) and a browser
# journey. `make test CKAN=2.11` runs the whole suite on 2.11.
COMPAT_TESTS := tests/test_migrations.py tests/test_route_leaks.py \
  ckanext-pricing/ckanext/pricing/tests/test_payment_sequences.py tests/browser/test_citizen.py

.PHONY: help install services run stop status lint test test-deep bench bench-scale screenshots docker-config clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

install: ## install Debian packages, the virtualenv and Solr where missing
	@$(SCRIPTS)/install.sh

services: install ## start PostgreSQL, Redis and Solr on 127.0.0.1
	@$(SCRIPTS)/services.sh start

run: services ## the whole portal with demo data on http://127.0.0.1:5000
	@$(SCRIPTS)/portal.sh init dev
	@$(SCRIPTS)/portal.sh start
	@$(SCRIPTS)/portal.sh demo
	@$(SCRIPTS)/portal.sh reindex
	@$(SCRIPTS)/portal.sh sources
	@$(SCRIPTS)/run-summary.sh

stop: ## stop everything `make run` and `make test` started
	@$(SCRIPTS)/portal.sh stop
	@$(SCRIPTS)/services.sh stop

status: ## show which services are up
	@$(SCRIPTS)/services.sh status

lint: install ## ruff (lint and format check) and mypy, as `make test` runs them
	@$(SCRIPTS)/lint.sh

test: services ## ruff and mypy, then the tests against real services: all on CKAN 2.12, a subset on 2.11
	@$(SCRIPTS)/lint.sh
	@$(SCRIPTS)/portal.sh init test
	@$(SCRIPTS)/portal.sh peer test
	@$(SCRIPTS)/portal.sh peer test2
	@$(SCRIPTS)/test.sh $(PYTEST_ARGS)
ifeq ($(CKAN)$(PYTEST_ARGS),2.12)
	@CDX_CKAN_VERSION=2.11 $(SCRIPTS)/portal.sh init test
	@CDX_CKAN_VERSION=2.11 CDX_STATEFUL_EXAMPLES=8 $(SCRIPTS)/test.sh $(COMPAT_TESTS)
endif

test-deep: services ## the tests with the whole fuzz catalogue and many more generated cases (slow)
	@$(SCRIPTS)/portal.sh init test
	@$(SCRIPTS)/portal.sh peer test
	@$(SCRIPTS)/portal.sh peer test2
	@CDX_FUZZ_FULL=1 CDX_FUZZ_EXAMPLES=$${CDX_FUZZ_EXAMPLES:-50} CDX_STATEFUL_RANDOM=1 \
	  CDX_STATEFUL_EXAMPLES=$${CDX_STATEFUL_EXAMPLES:-200} CDX_STATEFUL_STEPS=$${CDX_STATEFUL_STEPS:-40} \
	  $(SCRIPTS)/test.sh $(PYTEST_ARGS)

bench: services ## run the benchmarks in bench/ on their own databases (slow)
	@$(SCRIPTS)/portal.sh init bench
	@$(CDX_VENV_PY) bench/pricing_overhead.py $(BENCH_INI) --reuse
	@$(CDX_VENV_PY) bench/webhook_latency.py $(BENCH_INI)
	@$(CDX_VENV_PY) bench/catalog_output.py $(BENCH_INI)
	@$(CDX_VENV_PY) bench/search_relevance.py $(BENCH_INI)
	@$(CDX_VENV_PY) bench/scanner_throughput.py --mb 200
	@$(SCRIPTS)/portal.sh peer bench
	@$(CDX_VENV_PY) bench/harvest_throughput.py $(BENCH_INI) var/data/peer-bench.json

screenshots: ## screenshots of the main pages in docs/screenshots (of the portal `make run` serves)
	@$(CDX_VENV_PY) scripts/screenshots.py http://127.0.0.1:$${CDX_PORT:-5000} docs/screenshots

# Datasets of the scale benchmark (`make bench-scale SCALE_DATASETS=20000` for a shorter run).
SCALE_DATASETS ?= 100000
bench-scale: services ## search at scale: loads SCALE_DATASETS datasets, then the suite against stock CKAN over HTTP (long)
	@$(SCRIPTS)/portal.sh init bench
	@$(CDX_VENV_PY) bench/search_scale.py $(BENCH_INI) --datasets $(SCALE_DATASETS)

docker-config: ## validate docker/docker-compose.yml (installs Debian's docker-compose if missing)
	@$(SCRIPTS)/install.sh docker-tools
	@# The secrets are required (compose refuses to start without them): check with stand-ins.
	@CDX_SITE_URL=https://data.example.invalid CDX_SECRET_KEY=stand-in CDX_DB_PASSWORD=stand-in \
	  CDX_DATASTORE_RO_PASSWORD=stand-in CDX_POSTGRES_PASSWORD=stand-in \
	  docker-compose -f docker/docker-compose.yml config -q && echo "docker/docker-compose.yml is valid"

clean: stop ## remove var/ (virtualenv, caches, data, logs)
	rm -rf var
