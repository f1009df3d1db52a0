from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from .tools import TOOLS


def tools(request: HttpRequest) -> dict:
    return {"tools": TOOLS}


def privacy(request: HttpRequest) -> dict:
    # The privacy note on every upload form (templates/components/capture.html) states this number.
    return {"retention_days": settings.EMOPIC_RETENTION_DAYS}
