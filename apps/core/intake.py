"""Image intake: one decoded image type for uploads and webcam data URLs.

The middleware only attaches a lazy ``request.image_intake``; nothing is read
or decoded until a view asks for the image, so requests that carry none pay
nothing. A view calls ``request.image_intake.get()`` and receives a
``DecodedImage`` whichever way the client sent the photo:

* a multipart file field ``image`` (upload forms, API clients),
* a form field ``image`` holding a ``data:image/...;base64,`` URL (webcam
  captures from ``canvas.toDataURL``),
* a JSON body ``{"image": "data:image/...;base64,..."}``.

Bad input raises ``ImageInputError``; views render it, and any that escapes is
turned into a 4xx here, JSON for the API and a friendly page elsewhere.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render

from .imageio import DecodedImage, ImageInputError, Limits, decode_data_url, decode_image_bytes

logger = logging.getLogger(__name__)


def intake_limits() -> Limits:
    return Limits(
        max_bytes=settings.EMOPIC_MAX_IMAGE_BYTES,
        max_pixels=settings.EMOPIC_MAX_IMAGE_PIXELS,
        min_side=settings.EMOPIC_MIN_IMAGE_SIDE,
    )


class ImageIntake:
    def __init__(self, request: HttpRequest) -> None:
        self._request = request
        self._decoded: dict[str, DecodedImage] = {}
        self._json: dict | None = None

    def fields(self) -> dict:
        """The request's other fields, from a form (multipart or urlencoded) or a JSON object body alike."""
        if self._request.content_type == "application/json":
            return self._json_body()
        try:
            return self._request.POST.dict()
        except MultiPartParserError as exc:
            raise _unparsable_form() from exc

    def get(self, field: str = "image") -> DecodedImage:
        if field not in self._decoded:
            self._decoded[field] = self._decode(field)
        return self._decoded[field]

    def _decode(self, field: str) -> DecodedImage:
        request = self._request
        limits = intake_limits()
        try:
            if request.content_type == "application/json":
                value = self._json_body().get(field)
                if isinstance(value, str) and value:
                    return decode_data_url(value, limits)
            else:
                upload = request.FILES.get(field)
                if upload is not None:
                    if upload.size > limits.max_bytes:
                        raise ImageInputError(
                            "too_large",
                            f"The image is {upload.size / 1e6:.1f} MB; the limit is {limits.max_bytes / 1e6:.0f} MB.",
                            413,
                        )
                    return decode_image_bytes(upload.read(), limits)
                value = request.POST.get(field)
                if value:
                    return decode_data_url(value, limits)
        except RequestDataTooBig as exc:
            raise ImageInputError("too_large", "The request is larger than the upload limit.", 413) from exc
        except MultiPartParserError as exc:
            raise _unparsable_form() from exc
        raise ImageInputError(
            "missing_image",
            f"No photo was sent: attach a file in the '{field}' field or send a data URL as '{field}'.",
        )

    def _json_body(self) -> dict:
        if self._json is not None:
            return self._json
        try:
            body = json.loads(self._request.body or b"{}")
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            # RecursionError: JSON nested thousands deep, which no client of ours sends.
            raise ImageInputError("bad_json", "The request body is not valid JSON.") from exc
        if not isinstance(body, dict):
            raise ImageInputError("bad_json", 'The JSON body must be an object such as {"image": "data:..."}.')
        self._json = body
        return body


def _unparsable_form() -> ImageInputError:
    return ImageInputError("bad_form", "The form data could not be read (a multipart body needs its boundary).")


def error_response(request: HttpRequest, error: ImageInputError) -> HttpResponse:
    if wants_json(request):
        return JsonResponse(error.to_json(), status=error.status)
    return render(request, "core/input_error.html", {"error": error}, status=error.status)


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


class ImageIntakeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.image_intake = ImageIntake(request)  # type: ignore[attr-defined]
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, ImageInputError):
            return error_response(request, exception)
        if isinstance(exception, RequestDataTooBig):
            return error_response(
                request, ImageInputError("too_large", "The request is larger than the upload limit.", 413)
            )
        return None
