"""WSGI entry point: the API under gunicorn (sync workers serve short requests fastest here).

Phones' check-in uploads are answered by ``CheckinFastPath`` in front of Django when they are
well-formed (see ``backend.monitoring.api.fast_path``); everything else is Django's.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")
django_application = get_wsgi_application()

from backend.monitoring.api.fast_path import CheckinFastPath  # noqa: E402  (needs Django set up)

application = CheckinFastPath(django_application)
