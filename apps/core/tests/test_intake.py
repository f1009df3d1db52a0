"""Uploads and webcam data URLs reach the view as the same image; bad input is a clear 4xx, never a 500."""

from __future__ import annotations

import json

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.images import data_url, encode, flat_image

pytestmark = pytest.mark.urls("apps.core.tests.intake_urls")
JPEG = encode(flat_image(120, 80), "JPEG")


def test_a_multipart_upload_arrives_as_rgb(client):
    response = client.post("/api/echo/", {"image": SimpleUploadedFile("me.jpg", JPEG, "image/jpeg")})
    assert response.status_code == 200
    assert response.json() == {"shape": [80, 120, 3], "format": "jpeg", "source": "upload"}


def test_a_webcam_data_url_in_a_form_field_arrives_the_same(client):
    response = client.post("/api/echo/", {"image": data_url(JPEG)})
    assert response.json()["shape"] == [80, 120, 3] and response.json()["source"] == "data_url"


def test_a_json_body_with_a_data_url_arrives_the_same(client):
    response = client.post("/api/echo/", json.dumps({"image": data_url(JPEG)}), content_type="application/json")
    assert response.json()["shape"] == [80, 120, 3]


def test_a_missing_image_is_a_400_that_names_the_field(client):
    response = client.post("/api/echo/", {"photo": SimpleUploadedFile("me.jpg", JPEG, "image/jpeg")})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "missing_image"
    assert "'image'" in response.json()["error"]["message"]


def test_malformed_json_is_a_400(client):
    response = client.post("/api/echo/", "{not json", content_type="application/json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "bad_json")


def test_a_text_file_named_jpg_is_a_415(client):
    upload = SimpleUploadedFile("photo.jpg", b"just some text", "image/jpeg")
    response = client.post("/api/echo/", {"image": upload})
    assert (response.status_code, response.json()["error"]["code"]) == (415, "unsupported_format")


def test_an_oversized_upload_is_a_413(client, settings):
    settings.EMOPIC_MAX_IMAGE_BYTES = 1000
    big = encode(np.random.default_rng(0).integers(0, 255, (200, 200, 3), dtype=np.uint8), "PNG")
    response = client.post("/api/echo/", {"image": SimpleUploadedFile("big.png", big, "image/png")})
    assert (response.status_code, response.json()["error"]["code"]) == (413, "too_large")


def test_a_body_over_djangos_memory_cap_is_a_413_not_a_400(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post("/api/echo/", {"image": "data:image/png;base64," + "A" * 5000})
    assert response.status_code == 413


def test_pages_get_a_friendly_html_error(client):
    response = client.post("/page/", {"image": SimpleUploadedFile("x.jpg", b"", "image/jpeg")})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert b"The file is empty." in response.content
