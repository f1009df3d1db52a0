from __future__ import annotations

from django.http import HttpRequest

from .tools import TOOLS


def tools(request: HttpRequest) -> dict:
    return {"tools": TOOLS}
