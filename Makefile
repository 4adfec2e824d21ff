# Two commands matter: `make run` (the product on embedded defaults) and `make test` (the whole suite).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The suite runs on PostgreSQL (row locks and concurrency are part of what it checks).
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/registry
TEST_WORKERS ?= 2

.PHONY: run test bench install install-dev lint migrations-check clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==0.13.9

install: $(BIN)/uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.txt

install-dev: $(BIN)/uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements-dev.txt

# The embedded broker (kombu's filesystem transport under var/celery-broker/) unless one is configured: seed_demo
# and the pages queue validation runs, and `serve` runs the web server, a worker and beat until Ctrl-C.
run: export CELERY_BROKER_URL ?= $(if $(REDIS_URL),$(REDIS_URL),filesystem://)
run: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py collectstatic --no-input -v0
	$(BIN)/python manage.py seed_demo --address http://$(HOST):$(PORT)
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python manage.py serve $(HOST):$(PORT)

test: install-dev
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	@# The scoring sandbox; the attack tests run against it, not against the weaker fallback.
	@command -v bwrap >/dev/null || (apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null)
	DATABASE_URL=sqlite:///:memory: $(BIN)/python manage.py makemigrations --check --dry-run -v0
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} PATH="$(CURDIR)/$(BIN):$$PATH" \
		$(BIN)/pytest -n $(TEST_WORKERS) --create-db $(PYTEST_ARGS)

# Side by side with MLflow's server (installs mlflow in var/bench/); not part of `make test`. BENCH_SCALE=0.1 for a look.
bench: install-dev
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/compare.py

lint: install-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var test-output
