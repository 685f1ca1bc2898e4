# One image for every process of docker-compose.yml: the API (gunicorn), the websocket server
# (uvicorn), the Celery worker and beat, and the one-shot migration.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # The source tree in /app comes first on the path, so the code that runs is the code with its
    # locale catalogues and templates next to it (pip installs only the .py files).
    PYTHONPATH=/app \
    VAR_DIR=/app/var

WORKDIR /app

RUN groupadd --system app && useradd --system --gid app --home-dir /app --no-create-home app

# README.md* matches nothing rather than failing when the readme is absent.
COPY pyproject.toml README.md* gunicorn.conf.py ./
COPY backend/ backend/
COPY geofence/ geofence/
COPY notifications/ notifications/
RUN pip install .

# Static files are collected at build time into the image (served by WhiteNoise). Production
# settings refuse to load without a secret, hosts and a database, so the build passes throwaway
# values: collectstatic neither connects to the database nor signs anything.
RUN DJANGO_ENV=production \
    SECRET_KEY=build-time-only-collectstatic-key-never-used-to-sign-anything-0123456789 \
    ALLOWED_HOSTS=build.invalid \
    DATABASE_URL=postgres://build@build.invalid:5432/build \
    python backend/manage.py collectstatic --no-input -v0 \
    && chown -R app:app /app/var

USER app

EXPOSE 8000 8001
CMD ["gunicorn", "backend.config.wsgi:application", "--workers", "4", "--bind", "0.0.0.0:8000"]
