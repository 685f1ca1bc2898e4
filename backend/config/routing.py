"""Websocket routes of every app that streams."""

from backend.monitoring.routing import websocket_urlpatterns as monitoring_ws

websocket_urlpatterns = [*monitoring_ws]
