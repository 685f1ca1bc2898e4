"""Websocket routes of every app that streams."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
