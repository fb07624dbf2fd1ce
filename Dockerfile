# The platform's image: web (gunicorn), Celery worker and Celery beat all run from it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings

# gettext: compilemessages. Pango and HarfBuzz: WeasyPrint (contract PDF, Persian shaping).
# No libpq: psycopg[binary] ships its own.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        gettext \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, so code changes reuse this layer. The project installs no packages of its
# own ([tool.setuptools] packages = []): it runs from /app.
COPY pyproject.toml ./
RUN pip install .

# Only what the running platform needs (no .venv, .git, tests or build output).
COPY manage.py ./
COPY config ./config
COPY core ./core
COPY accounts ./accounts
COPY providers ./providers
COPY ledger ./ledger
COPY payments ./payments
COPY orders ./orders
COPY matching ./matching
COPY reviews ./reviews
COPY support ./support
COPY templates ./templates
COPY locale ./locale
COPY static ./static

# Build-only placeholders: settings demand secrets when DJANGO_DEBUG=false, and these two commands
# touch neither the database nor encrypted data. DJANGO_DEBUG=false selects the manifest storage
# that production serves. Real values come from the environment at run time.
RUN DJANGO_DEBUG=false \
    DJANGO_SECRET_KEY=build-only-not-a-secret \
    FIELD_ENCRYPTION_KEYS=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    FIELD_LOOKUP_KEY=build-only-not-a-secret \
    sh -c "python manage.py compilemessages && python manage.py collectstatic --noinput" \
    && mkdir -p /app/media /app/private-media \
    && chown app:app /app /app/media /app/private-media

USER app

EXPOSE 8000

CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
