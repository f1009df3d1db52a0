"""WebSocket routes. Tools with live features (composition) add theirs here."""

from __future__ import annotations

websocket_urlpatterns: list = []
