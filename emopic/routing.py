"""WebSocket routes."""

from __future__ import annotations

from django.urls import path

from apps.composition.consumers import CoachConsumer

websocket_urlpatterns = [
    path("ws/composition/", CoachConsumer.as_asgi()),
]
