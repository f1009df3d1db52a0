"""Storage that cannot be read while a page or an API call needs a stored file: a 503 that says so, not a 500.

Writes already fail whole with their own message (``services.save_creation``/``replace_files``); this covers
reads, such as rendering an ID size from a stored cut-out while the object store is unreachable.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from .intake import wants_json

logger = logging.getLogger(__name__)
MESSAGE = "Your stored photos cannot be read right now; nothing was changed. Please try again in a minute."


def storage_errors() -> tuple[type[BaseException], ...]:
    """What local disks and S3 raise when a stored file cannot be read."""
    errors: tuple[type[BaseException], ...] = (OSError,)
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # only with the S3 storage installed
        return errors
    return (*errors, BotoCoreError, ClientError)


class StorageFaultMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.errors = storage_errors()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, self.errors):
            return None
        logger.exception("Storage could not be read for %s", request.path)
        if wants_json(request):
            return JsonResponse({"error": {"code": "storage_unavailable", "message": MESSAGE}}, status=503)
        return render(request, "core/storage_unavailable.html", {"message": MESSAGE}, status=503)
