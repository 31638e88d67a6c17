# Regard: `make run` runs the whole system on embedded defaults; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-stamp
# axe-core, which the browser tests read from disk (package.json pins it; npm ci keeps to the lock).
NODE_INSTALLED := node_modules/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install run pay test bench lint format clean screenshots

$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

$(NODE_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(INSTALLED) $(NODE_INSTALLED)

# Without a Stripe account, `make run` starts localstripe on loopback and pays through it
# (`make pay REF=ENR-...` plays the card); set STRIPE_SECRET_KEY to use Stripe.
ifeq ($(STRIPE_SECRET_KEY),)
run pay: export STRIPE_SECRET_KEY = sk_test_local_regard
run pay: export STRIPE_PUBLISHABLE_KEY = pk_test_local_regard
run pay: export STRIPE_API_BASE = http://127.0.0.1:8420
run pay: export STRIPE_WEBHOOK_SECRET = whsec_local_regard
run pay: export PAYMENT_FLOW = payment_intent
RUN_PROCESSES = web worker beat stripe
else
RUN_PROCESSES = web worker beat
endif

# Development: DEBUG on, plain HTTP on loopback, SQLite and the filesystem broker under var/
# unless DATABASE_URL / REDIS_URL say otherwise. Ctrl-C stops every process together.
run: export DJANGO_DEBUG ?= true
run: export DJANGO_SECURE_SSL_REDIRECT ?= false
run: export PORT ?= 8000
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: $(INSTALLED)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py ensure_dev_admin
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --procfile Procfile.dev $(RUN_PROCESSES)

# Pay a pending enrollment through the localstripe that `make run` started:
# `make pay REF=ENR-7KQ2M9` (add CARD=declined to see a decline).
pay: export DJANGO_DEBUG ?= true
pay: $(INSTALLED)
	$(BIN)/python manage.py pay_enrollment $(REF) --card $(or $(CARD),visa)

# The whole suite; on PostgreSQL and Redis when they answer (see tests/run.py).
test: $(INSTALLED) $(NODE_INSTALLED)
	$(BIN)/python -m tests.run $(PYTEST_ARGS)

# Every public page in English and Dutch, photographed whole under var/screenshots/.
screenshots: $(INSTALLED) $(NODE_INSTALLED)
	$(BIN)/python -m tests.run -q tests/browser/test_every_page.py

# The production shape on loopback under load, against a bare baseline: bench/RESULTS.md.
# Needs PostgreSQL and Redis on 127.0.0.1 (BENCH_DATABASE_URL, BENCH_REDIS_URL); about 7 minutes.
bench: $(INSTALLED)
	$(BIN)/python -m bench.run

# The import-linter contracts in pyproject.toml hold DESIGN.md's dependency rule. The bench's
# settings are the product's plus its baseline app, so the migrations check covers both.
lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_DEBUG=true $(BIN)/mypy .
	$(BIN)/lint-imports --no-cache --no-logo
	DJANGO_DEBUG=true DJANGO_SETTINGS_MODULE=bench.settings \
		$(BIN)/python manage.py makemigrations --check --dry-run

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
