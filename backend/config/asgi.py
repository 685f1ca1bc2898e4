"""ASGI entry point: HTTP goes to Django, websockets to the Channels router (session auth, Origin checked)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")
# Under ASGI every request runs its database work in a thread of its own: persistent connections
# (kept per thread) piled up, 55 open for 360 requests of 6 clients. Django's advice for ASGI is no
# persistent connections; DB_CONN_MAX_AGE set in the environment still wins.
os.environ.setdefault("DB_CONN_MAX_AGE", "0")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from backend.config.celery_app import app as celery_app  # noqa: E402
from backend.config.routing import websocket_urlpatterns  # noqa: E402
from backend.duty.scheduler import start_embedded_scheduler  # noqa: E402

# Without a broker (make run) the periodic jobs run in this process (EMBEDDED_SCHEDULER).
start_embedded_scheduler(celery_app)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
