"""POST /api/suit/: a photo and a style in, the dressed ID photo and its sizes out; clear 4xx otherwise."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.suit.models import SuitPhoto
from tests.images import astronaut, data_url, encode, shared_photo

pytestmark = pytest.mark.django_db
ASTRONAUT_JPEG = encode(astronaut(), "JPEG", quality=92)


@pytest.mark.models
def test_a_multipart_request_makes_a_suit_photo(client):
    response = client.post("/api/suit/", {"image": SimpleUploadedFile("me.jpg", ASTRONAUT_JPEG, "image/jpeg"),
                                          "style": "navy-women", "size": "2x2in", "background": "#E9EBEE"})  # fmt: skip

    assert response.status_code == 201
    body = response.json()
    assert set(body) >= {"id", "style", "result_url", "sizes", "engines", "timings_ms"}
    assert body["style"] == "navy-women" and body["background"] == "#e9ebee" and body["size"] == "2x2in"
    assert body["sizes"][0]["key"] == "2x2in" and body["sizes"][0]["chosen"] is True
    assert set(body["engines"]) == {"matting", "parsing", "suit", "background"}
    assert body["timings_ms"]["total"] > 0 and "pose" in body["timings_ms"]
    size = client.get(body["sizes"][0]["url"])
    assert Image.open(io.BytesIO(b"".join(size.streaming_content) if size.streaming else size.content)).size == (
        600, 600)  # fmt: skip


@pytest.mark.models
def test_a_json_data_url_request_works_and_the_background_defaults_to_the_recommendation(client):
    response = client.post("/api/suit/", json.dumps({"image": data_url(ASTRONAUT_JPEG), "style": "black-tie"}),
                           content_type="application/json")  # fmt: skip

    assert response.status_code == 201
    body = response.json()
    assert body["background"] == body["background_candidates"][0]["hex"]
    assert body["engines"]["background"] != "your choice"


@pytest.mark.models
def test_a_photo_without_shoulders_is_a_422_that_says_so(client):
    rgb = shared_photo("faces/face_recognition/examples/knn_examples/train/rose_leslie/img2.jpg")
    close_up = encode(np.ascontiguousarray(rgb[60:420, 90:480]))

    response = client.post("/api/suit/", {"image": SimpleUploadedFile("face.jpg", close_up), "style": "navy-tie"})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "shoulders_not_visible"
    assert "shoulders" in response.json()["error"]["message"]
    assert SuitPhoto.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"style": "tuxedo"}, "unknown_style"),
        ({"style": "navy-tie", "size": "10x10"}, "unknown_size"),
        ({"style": "navy-tie", "background": "blue"}, "bad_background"),
        ({}, "unknown_style"),
    ],
)
def test_bad_choices_are_422s_with_a_code(client, fields, code):
    response = client.post("/api/suit/", {"image": SimpleUploadedFile("me.jpg", ASTRONAUT_JPEG), **fields})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == code


def test_a_missing_image_is_a_400(client):
    response = client.post("/api/suit/", {"style": "navy-tie"})

    assert response.status_code == 400


@pytest.mark.models
def test_refit_over_the_api_redraws(client):
    created = client.post("/api/suit/", {"image": SimpleUploadedFile("me.jpg", ASTRONAUT_JPEG),
                                         "style": "navy-tie"}).json()  # fmt: skip

    response = client.post(f"/api/suit/{created['id']}/refit", json.dumps({"widen": 0.1, "style": "charcoal-tie"}),
                           content_type="application/json")  # fmt: skip

    assert response.status_code == 200
    assert response.json()["widen"] == 0.1 and response.json()["style"] == "charcoal-tie"
    bad = client.post(f"/api/suit/{created['id']}/refit", json.dumps({"widen": 9}), content_type="application/json")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_fit"
