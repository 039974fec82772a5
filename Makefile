# Outcome Chain — the two set-up commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/outcome_chain
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15
# The SQLite suite runs beside the PostgreSQL one, so it gets a Redis database of its own.
REDIS_SQLITE_TEST_URL ?= redis://127.0.0.1:6379/14
STAMP := $(VENV)/.installed

.PHONY: demo test lint layers run worker beat services venv gettext messages test-sqlite test-postgres test-postgres-app test-faults bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

gettext:
	command -v msgfmt >/dev/null || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q gettext)

# The compiled .mo catalogues are committed (they ship with the package); run this after editing a .po.
messages: venv gettext
	$(BIN)/python manage.py compilemessages --ignore=.venv -v 0

demo: venv
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000 --noreload

run: venv
	$(BIN)/python manage.py runserver 127.0.0.1:8000

worker: venv
	$(BIN)/celery -A config worker --loglevel=info --concurrency=2

beat: venv
	$(BIN)/celery -A config beat --loglevel=info --scheduler django_celery_beat.schedulers:DatabaseScheduler

services:
	bash scripts/services.sh

test: services venv gettext layers
	$(BIN)/python manage.py collectstatic --noinput -v 0
	@# Both databases' suites side by side (one core each); then the fault tests alone, since
	@# they time how fast the stack recovers. Each suite's output is printed when it ends.
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres-app
	$(MAKE) --no-print-directory test-faults

test-sqlite:
	DATABASE_URL=sqlite:///$(CURDIR)/test.sqlite3 REDIS_URL=$(REDIS_SQLITE_TEST_URL) \
		$(BIN)/pytest -m "not postgres" -p no:cacheprovider

# The whole PostgreSQL suite in one run (by hand); `make test` runs it as the two targets below.
test-postgres:
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) \
		$(BIN)/pytest -m "not e2e" -p no:cacheprovider

test-postgres-app:
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) \
		$(BIN)/pytest -m "not e2e" --ignore=tests/faults -p no:cacheprovider

test-faults:
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) \
		$(BIN)/pytest -m "not e2e" tests/faults -p no:cacheprovider

lint: venv layers
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The import-linter contracts in pyproject.toml: an upward import fails lint and test.
layers: venv
	$(BIN)/lint-imports

# The benches use (and empty) their own databases, oc_bench, oc_bench_pages, oc_bench_connectors and
# oc_bench_source; see bench/README.md.
bench: services venv
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/recompute.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/evidence.py
	$(BIN)/python bench/surveys.py
	$(BIN)/python bench/connectors.py
