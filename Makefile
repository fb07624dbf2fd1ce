# Two commands: `make run` serves the platform with demo data on the embedded default
# (SQLite, eager Celery); `make test` runs lint, the import contract and the whole suite on
# PostgreSQL and Redis.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

# `make run` serves on this port (PORT=8001 make run); links in SMS and email follow it.
PORT ?= 8000
export SITE_URL ?= http://127.0.0.1:$(PORT)

# The suite runs on the machine's PostgreSQL and Redis unless told otherwise.
TEST_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/homeservices)
TEST_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/0)

.PHONY: run test install messages gettext chromium lint deploy-check demo clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

gettext:
	@command -v msgfmt >/dev/null || (apt-get update -qq && apt-get install -y -qq gettext)

messages: install gettext
	$(PY) manage.py compilemessages --ignore='.venv' --ignore='build' -v0

chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium)

demo: install messages
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py load_demo
	$(PY) manage.py load_demo_money

run: demo
	@echo "Development server, DEBUG on: not for production (see docs/operations.md)."
	@echo "Serving $(SITE_URL) in the embedded mode: SQLite, tasks run in the request;"
	@echo "SMS and email are printed here. Ctrl-C stops."
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# Guard rails: style, the import contracts (layers, no cycles, each app's models its own),
# types of core and the services, no model change without its migration, and code size.
lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) scripts/check_code_size.py

# Django's deployment checks on the settings of a production deployment behind TLS: the
# environment of docker-compose.yml with TLS on, and throwaway secrets made here.
deploy-check: install
	DJANGO_DEBUG=false \
	DJANGO_SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	FIELD_ENCRYPTION_KEYS="$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
	FIELD_LOOKUP_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(32))')" \
	DATABASE_URL=postgres://postgres:postgres@postgres:5432/homeservices REDIS_URL=redis://redis:6379/0 \
	DJANGO_ALLOWED_HOSTS=localhost,127.0.0.1 PRIVATE_MEDIA_ROOT=/app/private-media MEDIA_ROOT=/app/media \
	DJANGO_SECURE_COOKIES=true DJANGO_BEHIND_PROXY=true \
	$(PY) manage.py check --deploy --fail-level WARNING

test: install messages chromium
	@DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) scripts/check_services.py
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory deploy-check
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest

clean:
	rm -rf $(VENV) build staticfiles db.sqlite3 .pytest_cache .ruff_cache
