# Two commands for a fresh machine (see README):
#   make verify   set up and run the main job: the verification suite on the default configuration
#   make test     set up and run every test, with mypy --strict and ruff
# Each creates the virtual environment it needs (.venv) from the exact pins in constraints.txt.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt constraints-sim.txt constraints-dist.txt constraints-evidence.txt constraints-docs.txt | cksum | cut -d' ' -f1)

.PHONY: system-deps verify test lint typecheck pytest prove prove-all crosshair deep hostile mutation record-field-mutants mutation-layers bench \
	day simulate simulate-week micropython api-docs clean

$(STAMP): pyproject.toml constraints.txt constraints-sim.txt constraints-dist.txt constraints-evidence.txt constraints-docs.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -c constraints-sim.txt \
		-c constraints-dist.txt -c constraints-evidence.txt -c constraints-docs.txt -e '.[verify,sim,dist,evidence,docs]' \
		2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import z3, crosshair, hypothesis, pytest, mypy, rich, graphviz, selenium, strictdoc, sphinx_needs, pdoc"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# The Debian packages the evidence bundle and its tests need (run as root; CI runs it before `make test`):
# Graphviz's dot draws the assurance case, headless Chromium and its driver open the report in the browser test.
SYSTEM_PACKAGES := graphviz chromium chromium-driver fonts-dejavu-core
system-deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null

verify: $(STAMP)
	$(BIN)/pumpkernel verify --profile ci --out evidence

test: lint typecheck prove-all pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q -n 2

prove: $(STAMP)
	$(BIN)/pumpkernel prove

# The whole proof suite as a step of `make test`: every obligation proved, every planted defect refuted.
prove-all: $(STAMP)
	$(BIN)/pumpkernel prove --json build/proofs.json

crosshair: $(STAMP)
	$(BIN)/pumpkernel crosshair

deep: $(STAMP)
	HYPOTHESIS_PROFILE=deep $(BIN)/pytest -q -n 2 property_tests
	HYPOTHESIS_PROFILE=deep $(BIN)/pytest -q -n 2 tests/adapters -m deep
	HYPOTHESIS_PROFILE=deep $(BIN)/pytest -q -n 2 tests/adapters/test_channel_attacks.py
	HYPOTHESIS_PROFILE=deep $(BIN)/python -m property_tests.small_scope
	$(MAKE) hostile

# 10^7 random and adversarial events through kernel.step, every invariant checked after every step (docs/mutation.md).
hostile: $(STAMP)
	$(BIN)/python -m property_tests.hostile --events 10000000 --processes 2 --json out/hostile.json

# Every mutant of kernel/ from a clean mutants/ (docs/mutation.md); writes property_tests/mutation_report.json.
mutation: $(STAMP)
	$(BIN)/python -m property_tests.mutation

# The per-field None mutants of the records built with _new, which mutmut does not generate (docs/mutation.md).
record-field-mutants: $(STAMP)
	$(BIN)/python -m tools.record_field_mutants --json out/record-field-mutants.json

# Kill rate per layer (Z3, CrossHair, property tests, unit tests) on a seeded stratified sample; resumable.
# Options go in LAYERS_ARGS, e.g. make mutation-layers LAYERS_ARGS="--budget-min 60 --stats mutants/mutmut-stats.json".
LAYERS_ARGS ?=
mutation-layers: $(STAMP)
	$(BIN)/python -m property_tests.mutation_layers $(LAYERS_ARGS)

bench: $(STAMP)
	$(BIN)/python -m tools.bench_step

day: $(STAMP)
	$(BIN)/pumpkernel day

simulate: $(STAMP)
	MPLBACKEND=Agg $(BIN)/pumpkernel simulate

# The API reference of the kernel (pdoc, HTML) in build/api (git-ignored); build/api/kernel.html is the start.
api-docs: $(STAMP)
	$(BIN)/python -m tools.api_docs build/api

# The baseline of issue 18: 30 patients x 7 days, random meals, CGM noise, seed 1 (docs/simulation.md).
simulate-week: $(STAMP)
	MPLBACKEND=Agg $(BIN)/pumpkernel simulate --patients all --days 7 --scenario random --seed 1 --out out/simulate-week

# MicroPython 1.27 (WebAssembly port, pinned in tools/micropython/package-lock.json): what stands between
# kernel/ and it (docs/micropython.md).  Needs node and npm; npm ci is the only network step.
MPY := tools/micropython
$(MPY)/node_modules/.package-lock.json: $(MPY)/package.json $(MPY)/package-lock.json
	cd $(MPY) && npm ci --no-audit --no-fund --loglevel=error

micropython: $(STAMP) $(MPY)/node_modules/.package-lock.json
	$(BIN)/python -m tools.micropython.check

clean:
	rm -rf $(VENV) mutants .mutation-layers .hypothesis .mypy_cache .ruff_cache $(MPY)/node_modules
