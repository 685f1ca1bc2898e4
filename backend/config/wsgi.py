"""WSGI entry point: the API under gunicorn (sync workers serve short requests fastest here)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")
application = get_wsgi_application()
