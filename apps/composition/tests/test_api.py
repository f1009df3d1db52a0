"""POST /api/composition/: one photo in, each person's measures, the framing and the guidance out."""

from __future__ import annotations

import json

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.images import data_url, encode, flat_image, opencv_sample, shared_photo

pytestmark = [pytest.mark.django_db, pytest.mark.models]


def test_a_full_body_photo_is_measured(client):
    rgb = opencv_sample("basketball1.png")

    response = client.post("/api/composition/", {"image": SimpleUploadedFile("p.jpg", encode(rgb, "JPEG"))})

    assert response.status_code == 201
    body = response.json()
    person = body["people"][0]
    assert person["feet_y"] > person["chin_y"] > person["head_top_y"]
    assert 0.10 < person["head_ratio"] < 0.20 and 0.40 < person["leg_ratio"] < 0.60
    assert set(body["framing"]) >= {"headroom", "footroom", "thirds_offset"}
    assert body["guidance"] and body["overlay_url"].startswith("http")
    assert body["timings_ms"]["analysis"] > 0 and body["engines"]["pose"]


def test_feet_cut_off_are_reported_not_guessed(client):
    rgb = np.ascontiguousarray(opencv_sample("basketball1.png")[:330])  # above the knees

    response = client.post("/api/composition/", json.dumps({"image": data_url(encode(rgb, "JPEG"))}),
                           content_type="application/json")  # fmt: skip

    person = response.json()["people"][0]
    assert person["feet_y"] is None and person["head_ratio"] is None and person["feet_in_frame"] is False
    assert "feet_out_of_frame" in [g["code"] for g in response.json()["guidance"]]


def test_several_people_are_measured_each(client):
    rgb = shared_photo("faces/face_recognition/examples/knn_examples/test/kit_with_rose.jpg")

    response = client.post("/api/composition/", {"image": SimpleUploadedFile("two.jpg", encode(rgb, "JPEG"))})

    assert len(response.json()["people"]) == 2


def test_no_person_is_a_422(client):
    response = client.post("/api/composition/", {"image": SimpleUploadedFile("wall.jpg", encode(flat_image()))})

    assert response.status_code == 422 and response.json()["error"]["code"] == "no_person"


def test_an_unknown_profile_is_a_422(client):
    rgb = opencv_sample("basketball1.png")
    response = client.post("/api/composition/", {"image": SimpleUploadedFile("p.jpg", encode(rgb, "JPEG")),
                                                 "profile": "mine-12345"})  # fmt: skip

    assert response.status_code == 422 and response.json()["error"]["code"] == "unknown_profile"
