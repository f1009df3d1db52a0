"""Requests that Django refuses before any view runs still get a clear answer, and keep nothing.

Django's CSRF check reads a page form's body before the view does, so a webcam capture over the body cap
fails inside the middleware with ``RequestDataTooBig``; Django's own answer to that is a bare
"Bad Request (400)". The 400 handler (``apps.core.views.bad_request``) says what happened, with the
status the intake gives the same fault elsewhere: 413 for too large.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.exceptions import DisallowedHost, RequestDataTooBig, TooManyFieldsSent
from django.test import Client, RequestFactory
from django.utils.html import escape

from apps.core import views
from apps.core.creations import creation_models

pytestmark = pytest.mark.django_db


def huge_capture(settings) -> str:
    return "data:image/jpeg;base64," + "A" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024)


def browser_on(url: str) -> tuple[Client, str]:
    """A client that enforces CSRF as a browser's session does, with the token the page gave it."""
    browser = Client(enforce_csrf_checks=True)
    assert browser.get(url).status_code == 200
    return browser, browser.cookies["csrftoken"].value


def assert_nothing_kept(settings) -> None:
    assert sum(model.objects.count() for model in creation_models()) == 0
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or [path for path in media.rglob("*") if path.is_file()] == []


def test_a_too_large_body_is_a_413_page_that_names_the_limit(rf: RequestFactory, settings):
    settings.EMOPIC_MAX_IMAGE_BYTES = 15 * 1024 * 1024
    response = views.bad_request(rf.post("/idphoto/"), RequestDataTooBig("over the cap"))
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert 'role="alert"' in page and escape("This photo is too large: the limit is 16 MB.") in page


def test_a_too_large_body_on_the_api_is_a_json_413(rf: RequestFactory):
    response = views.bad_request(rf.post("/api/idphoto/"), RequestDataTooBig("over the cap"))
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert json.loads(response.content)["error"]["code"] == "too_large"


@pytest.mark.parametrize(
    "exception,code", [(TooManyFieldsSent("many"), "bad_form"), (DisallowedHost("evil.example"), "bad_request")]
)
def test_other_refusals_are_a_400_page(rf: RequestFactory, exception, code):
    response = views.bad_request(rf.post("/suit/"), exception)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode() and code in response.content.decode()


@pytest.mark.urls("apps.core.tests.error_urls")
@pytest.mark.parametrize("token_in", ["header", "form"])
def test_a_huge_webcam_capture_on_a_page_with_csrf_checks_on_is_a_friendly_413(settings, token_in):
    browser, token = browser_on("/idphoto/")
    fields = {"image": huge_capture(settings)}
    headers = {"X-CSRFToken": token} if token_in == "header" else {}
    if token_in == "form":
        fields["csrfmiddlewaretoken"] = token
    response = browser.post("/idphoto/", fields, headers=headers)
    assert response.status_code == 413, response.content[:300]
    assert "too large" in response.content.decode() and 'role="alert"' in response.content.decode()
    assert_nothing_kept(settings)


def test_a_page_form_without_its_csrf_token_is_a_403_page_that_says_what_to_do(settings):
    browser, _ = browser_on("/suit/")
    response = browser.post("/suit/", {"image": "data:image/jpeg;base64,AAAA", "style": "navy-tie"})
    assert response.status_code == 403
    page = response.content.decode()
    assert 'role="alert"' in page and "Reload the page" in page and "form_expired" in page
    assert_nothing_kept(settings)


def test_an_api_client_is_never_asked_for_a_csrf_token(settings):
    browser, _ = browser_on("/suit/")
    response = browser.post("/api/seasons/guess", {"image": "data:image/jpeg;base64,AAAA"})
    # The API is exempt: the photo itself is what gets judged (these bytes are no image format).
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_format"
