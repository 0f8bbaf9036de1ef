# syncer — developer entry points. `make demo` and `make test` set up everything they need.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck check bench fidelity clean install reliability mutation

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create the virtualenv and install syncer with its dev tools

demo: $(STAMP) ## run syncer demo on the built-in simulator
	$(BIN)/syncer demo

test: $(STAMP) deploy-tools ## run the whole test suite (fetches helm/kubectl for the manifest tests); writes docs/reliability.md
	SYNCER_RELIABILITY_DOC=docs/reliability.md $(BIN)/pytest

reliability: $(STAMP) ## only the hostile-answer tests; writes docs/reliability.md
	SYNCER_RELIABILITY_DOC=docs/reliability.md $(BIN)/pytest -q -m reliability

lint: $(STAMP) ## ruff lint + format check, import-linter layers
	$(BIN)/ruff check syncer tests bench tools
	$(BIN)/ruff format --check syncer tests bench tools
	$(BIN)/lint-imports

typecheck: $(STAMP) ## mypy --strict on the package
	$(BIN)/mypy

check: lint typecheck test ## everything CI runs

bench: $(STAMP) ## the performance benchmark of SPEC §8, every target in one run (~5 min); writes bench/results/latest.json and docs/benchmarks.md
	$(BIN)/python -m bench

.PHONY: soak
soak: $(STAMP) ## the daemon's RSS after 10 and after 1,000 runs (SPEC §8; ~6 min); writes bench/results/soak.json and docs/benchmarks.md
	$(BIN)/python -m bench --soak

mutation: $(STAMP) ## mutation testing of the pure core and the orchestrator ([tool.mutmut] in pyproject.toml, docs/testing.md); prints the score per module
	rm -rf mutants
	env -u SYNCER_RELIABILITY_DOC $(BIN)/mutmut run
	env -u SYNCER_RELIABILITY_DOC $(BIN)/python -m tools.mutation_properties
	$(BIN)/python -m tools.mutation_score --fail-under 90

fidelity: $(STAMP) ## check the simulator against the official API descriptions (Prism; needs npm, ~1 min)
	tools/fidelity/run.sh

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache

include Makefile.deploy
