# FlowMart. `make run` (embedded default, demo data) and `make test` (whole suite) work on a
# fresh machine with Python 3.11+; everything else they need is installed from here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The test suite runs against real PostgreSQL and Redis on loopback (see scripts/services).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/flowmart
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
# Test processes (pytest-xdist): each gets its own PostgreSQL database and the next Redis
# databases after TEST_REDIS_URL's (tests/settings.py). Tests that start workers mostly wait.
TEST_PROCESSES ?= 2
TEST_ENV := DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) CELERY_TASK_ALWAYS_EAGER=1 \
	LOG_FORMAT=plain LOG_LEVEL=WARNING THROTTLE_AUTH_RATE=1000/min THROTTLE_REGISTER_RATE=1000/min \
	THROTTLE_LOGIN_ACCOUNT_RATE=1000/min THROTTLE_CHECKOUT_RATE=1000/min \
	THROTTLE_VOUCHER_RATE=1000/min THROTTLE_VOUCHER_ADDRESS_RATE=1000/min

.PHONY: install run test worker beat lint bench services browser check clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo_data
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# The browser tests (tests/e2e) run in a pytest process of their own: Playwright keeps an asyncio
# loop running in the main thread for the whole session, and Django's sync code (and its
# DJANGO_ALLOW_ASYNC_UNSAFE escape) must not share a process with the rest of the suite.
# `make test TESTS="tests/orders"` runs only those paths (PYTEST_ARGS: extra pytest options).
test: install services browser
ifeq ($(strip $(TESTS)),)
	$(TEST_ENV) $(BIN)/pytest -n $(TEST_PROCESSES) --ignore=tests/e2e $(PYTEST_ARGS)
	$(TEST_ENV) $(BIN)/pytest tests/e2e $(PYTEST_ARGS)
else
	$(TEST_ENV) $(BIN)/pytest -n $(TEST_PROCESSES) $(PYTEST_ARGS) $(TESTS)
endif

services:
	scripts/services

# The machine's Chromium for the end-to-end tests (tests/e2e); never a downloaded browser build.
browser:
	scripts/chromium

worker: install
	$(BIN)/celery -A flowmart worker --loglevel=INFO --concurrency=2

beat: install
	$(BIN)/celery -A flowmart beat --loglevel=INFO

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# System checks, migrations in sync, and the deploy checks under the documented production env.
check: install
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=0 SECRET_KEY=ci-only-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
		ALLOWED_HOSTS=shop.example.com DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

bench: install services
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache
