# syntax=docker/dockerfile:1
# Production image for the PoA/ITI national reporting platform.
# One image runs every role: web (default CMD, gunicorn), Celery worker, Celery beat and the
# one-shot migrate job (see docker-compose.yml and docs/DEPLOYMENT.md).
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=config.settings \
    DATA_DIR=/data

# WeasyPrint runtime libraries and fonts (DejaVu for Latin/Cyrillic/Arabic, WenQuanYi for CJK).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
        fonts-dejavu-core \
        fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin app

WORKDIR /app
COPY . /app

# The code is imported from /app (PYTHONPATH, BASE_DIR = /app); `pip install .` pulls in the
# pinned dependencies. Build leftovers are removed so /app holds only the source.
RUN pip install --no-cache-dir . \
    && rm -rf /app/build /app/*.egg-info \
    && if find locale -name '*.po' | grep -q .; then \
           pybabel compile -d locale -D django; \
       else \
           echo "No message catalogs under locale/; skipping pybabel compile"; \
       fi

# DATA_DIR: static/ is filled at build time; media/ is where the compose file mounts the shared
# volume (a fresh named volume inherits this ownership).
RUN mkdir -p /data/static /data/media && chown -R app:app /data

USER app

# Throwaway values, set for this command only (DEBUG off requires SECRET_KEY and
# ALLOWED_HOSTS); the real ones come from the runtime environment.
RUN DEBUG=false \
    SECRET_KEY=build-only-collectstatic-key-not-used-at-runtime-0123456789abcdef \
    ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput

EXPOSE 8000

CMD ["gunicorn", "config.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--workers", "3", \
     "--max-requests", "1000", \
     "--max-requests-jitter", "100", \
     "--access-logfile", "-"]
