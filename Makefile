# Regard: `make run` runs the whole system on embedded defaults; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install run test lint format bench clean

$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

install: $(INSTALLED)

# Development: DEBUG on, plain HTTP on loopback, SQLite and the filesystem broker under var/
# unless DATABASE_URL / REDIS_URL say otherwise. Ctrl-C stops web, worker and beat together.
run: export DJANGO_DEBUG ?= true
run: export DJANGO_SECURE_SSL_REDIRECT ?= false
run: export PORT ?= 8000
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: $(INSTALLED)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py ensure_dev_admin
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --procfile Procfile.dev

# The whole suite; on PostgreSQL and Redis when they answer (see tests/run.py).
test: $(INSTALLED)
	$(BIN)/python -m tests.run $(PYTEST_ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_DEBUG=true $(BIN)/mypy .
	DJANGO_DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
