# atlex — run `make help` for the list of targets.
# Two commands do everything on a fresh machine: `make demo` and `make test`.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: help
help: ## Show this help
	@echo "atlex — typed AT Protocol SDK. Targets:"
	@if [ -t 1 ]; then on='\033[36m'; off='\033[0m'; else on=; off=; fi; \
	  grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
	  awk -v on="$$on" -v off="$$off" 'BEGIN {FS = ":.*?## "}; {printf "  %s%-16s%s %s\n", on, $$1, off, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

.PHONY: install
install: $(STAMP) ## Create .venv with atlex (editable) and the pinned dev tools

.PHONY: lexicons
lexicons: $(STAMP) ## Pull the pinned lexicon sets named in lexicons/lexicons.json (hash-checked)
	$(PY) -m atlex.cli lexicons pull

.PHONY: gen
gen: lexicons ## Generate src/atlex/lex from the upstream lexicon set
	$(PY) -m atlex.cli gen lexicons/upstream --out src --package atlex.lex

# the generated bindings are git-ignored (ruff skips them inside src): named explicitly, once made
GENERATED := $(wildcard src/atlex/lex)

.PHONY: lint
lint: $(STAMP) ## ruff over the source, the generated bindings, the generator and the tests
	$(VENV)/bin/ruff check src $(GENERATED) codegen tests bench demo tools
	$(VENV)/bin/ruff format --check src $(GENERATED) codegen tests bench demo tools

.PHONY: typecheck
typecheck: gen ## pyright --strict over src/atlex (generated tree included)
	$(VENV)/bin/pyright -p .

.PHONY: test
test: gen network-install ## Everything: lint, typecheck, unit, codegen, conformance and network tests
	$(MAKE) lint
	$(MAKE) typecheck
	$(PY) -m pytest

.PHONY: wheel
wheel: gen ## Build the wheel into dist/ (generated bindings included: users need no Node)
	$(PY) -m pip wheel --quiet --no-deps -w dist .

.PHONY: clean
clean: ## Remove build output (keeps .venv and pulled lexicons)
	rm -rf src/atlex/lex build dist .pytest_cache .ruff_cache

# --- network ---
# The real reference services (PLC, PDS, AppView) on 127.0.0.1 for the network tests and the demo.
# See tests/network/refnet.py; install details in network/install.sh.

.PHONY: network-install
network-install: ## Install Node 22, the reference PDS/PLC/AppView, PostgreSQL and Redis (idempotent)
	bash network/progress.sh bash network/install.sh

# NETWORK_PORT_BASE=N: ports N..N+5 instead of the fixed ones (two clones, one machine)
NETWORK_PORT_BASE ?=

.PHONY: network-up
network-up: network-install $(STAMP) ## Start the local network + an account; prints how to log in (NETWORK_PORT_BASE=N: other ports)
	$(PY) tests/network/refnet_cli.py up $(if $(NETWORK_PORT_BASE),--base-port $(NETWORK_PORT_BASE))

.PHONY: network-down
network-down: $(STAMP) ## Stop the network started by network-up
	$(PY) tests/network/refnet_cli.py down

.PHONY: demo
demo: install gen network-install ## Two accounts, a follow, an image post, the timeline, on a local network
	$(PY) demo/run.py

# --- bench ---
# atlex beside the Python peers (MarshalX atproto 0.0.73, lexrpc 3.0), pinned in their own
# virtualenv built from the same interpreter; atlex is installed there too. See bench/README.md.

BENCH_VENV  := .cache/bench-venv
BENCH_PY    := $(BENCH_VENV)/bin/python
BENCH_STAMP := $(BENCH_VENV)/.installed

$(BENCH_STAMP): pyproject.toml bench/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install --quiet --upgrade pip
	$(BENCH_PY) -m pip install --quiet -r bench/requirements.txt -e '.[cli]'
	touch $@

.PHONY: bench
bench: gen network-install $(BENCH_STAMP) ## atlex vs atproto and lexrpc: one table of medians and ratios (~4 min)
	$(BENCH_PY) -m bench.run --out .cache/bench/last.md

# --- twins ---
# Client is generated from AsyncClient (src/atlex/_client_async.py) by a token-level transform;
# tests/architecture/test_twins.py fails when the sync twin has drifted.

.PHONY: unasync
unasync: $(STAMP) ## Regenerate the sync twins from their async sources (tools/unasync.py)
	$(PY) tools/unasync.py
