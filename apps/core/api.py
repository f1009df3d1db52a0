"""The JSON API beside the pages, described by an OpenAPI document at /api/openapi.json.

Every tool's endpoint takes the photo as a multipart ``image`` file or a JSON
body ``{"image": "data:image/...;base64,..."}``; both are decoded by the shared
intake (``request.image_intake``), so the OpenAPI schema of each endpoint
declares that request body explicitly.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI, Schema
from ninja.errors import ValidationError

from .imageio import ImageInputError
from .ml import ModelUnavailable
from .services import CreationNotSaved


class EmopicAPI(NinjaAPI):
    """NinjaAPI whose 405s keep the error shape too.

    django-ninja answers a method an address does not take from its path view, outside the exception
    handlers, with the text "Method not allowed"; each API view is wrapped here so that answer becomes
    ``{"error": {"code", "message"}}`` like every other error, its ``Allow`` header kept.
    """

    def _get_urls(self) -> list[URLPattern | URLResolver]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = _json_method_not_allowed(pattern.callback)
        return urls


def _json_method_not_allowed(view: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            return _as_json_405(request, await view(request, *args, **kwargs))

        return async_wrapper

    @functools.wraps(view)  # keeps ninja's csrf_exempt mark
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _as_json_405(request, view(request, *args, **kwargs))

    return wrapper


def _as_json_405(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if response.status_code != 405 or response.get("Content-Type", "").startswith("application/json"):
        return response
    allowed = response.get("Allow", "")
    message = f"This address does not take {request.method}; it takes {allowed or 'other methods'}."
    json_response = error_json(request, "method_not_allowed", message, 405)
    if allowed:
        json_response["Allow"] = allowed
    return json_response


logger = logging.getLogger(__name__)

api = EmopicAPI(
    title="emopic API",
    version="1",
    description="Photo-AI tools. Every endpoint that takes a photo accepts a multipart `image` file "
    "or a JSON body with a data-URL `image`. Errors are `{error: {code, message}}`.",
    urls_namespace="api",
)


class ErrorDetail(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorDetail


IMAGE_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["image"],
                    "properties": {"image": {"type": "string", "format": "binary"}},
                }
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["image"],
                    "properties": {"image": {"type": "string", "description": "data:image/jpeg|png|webp;base64,..."}},
                }
            },
        },
    }
}


def image_request_body(extra_properties: dict | None = None) -> dict:
    """The OpenAPI request body of a photo endpoint, with the tool's own optional fields."""
    if not extra_properties:
        return IMAGE_REQUEST_BODY
    body = {"requestBody": {"required": True, "content": {}}}
    for media, content in IMAGE_REQUEST_BODY["requestBody"]["content"].items():
        schema = dict(content["schema"])
        schema["properties"] = {**schema["properties"], **extra_properties}
        body["requestBody"]["content"][media] = {"schema": schema}
    return body


def error_json(request: HttpRequest, code: str, message: str, status: int) -> HttpResponse:
    return api.create_response(request, {"error": {"code": code, "message": message}}, status=status)


@api.exception_handler(ImageInputError)
def _image_input_error(request: HttpRequest, exc: ImageInputError) -> HttpResponse:
    return api.create_response(request, exc.to_json(), status=exc.status)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_json(request, "not_found", "Nothing was found at this address: check the id.", 404)


@api.exception_handler(ValidationError)
def _invalid_request(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # django-ninja's own validation of JSON bodies, answered in the same shape as every other error.
    problems = "; ".join(f"{'.'.join(str(part) for part in error.get('loc', ())[1:]) or 'body'}: {error.get('msg', '')}"
                         for error in exc.errors)  # fmt: skip
    return error_json(request, "invalid_request", f"The request body does not fit this endpoint ({problems}).", 422)


@api.exception_handler(ModelUnavailable)
def _model_unavailable(request: HttpRequest, exc: ModelUnavailable) -> HttpResponse:
    return error_json(request, "model_unavailable", str(exc), 503)


@api.exception_handler(CreationNotSaved)
def _not_saved(request: HttpRequest, exc: CreationNotSaved) -> HttpResponse:
    return error_json(request, "not_saved", str(exc), 503)


def _register_routers() -> None:
    from apps.composition.api import router as composition_router
    from apps.emoticon.api import router as emoticon_router
    from apps.idphoto.api import router as idphoto_router
    from apps.seasons.api import router as seasons_router
    from apps.suit.api import router as suit_router

    from .jobs_api import router as jobs_router

    api.add_router("/idphoto/", idphoto_router)
    api.add_router("/emoticon/", emoticon_router)
    api.add_router("/seasons/", seasons_router)
    api.add_router("/suit/", suit_router)
    api.add_router("/composition/", composition_router)
    api.add_router("/jobs/", jobs_router)


_register_routers()


def _storage_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    from .faults import MESSAGE

    logger.exception("Storage could not be read for %s", request.path)
    return error_json(request, "storage_unavailable", MESSAGE, 503)


def _register_storage_faults() -> None:
    # ninja answers an exception it has no handler for itself (a traceback while DEBUG), so the storage
    # middleware (apps.core.faults) would never see the API's; the same answer is given here.
    from .faults import storage_errors

    for error in storage_errors():
        api.add_exception_handler(error, _storage_unavailable)


_register_storage_faults()
