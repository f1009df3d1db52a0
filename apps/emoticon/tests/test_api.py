"""POST /api/emoticon/: one face in, its emotion, attributes and emoticon out; clear 422s otherwise."""

from __future__ import annotations

import io
import json
import math
import xml.etree.ElementTree as ET

import cv2
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.emoticon.models import Emoticon
from apps.emoticon.pipeline.types import EMOTIONS
from tests.images import astronaut, data_url, encode, flat_image, shared_photo

pytestmark = [pytest.mark.django_db, pytest.mark.models]
ASTRONAUT_JPEG = encode(astronaut(), "JPEG", quality=92)


def upload(data: bytes) -> dict:
    return {"image": SimpleUploadedFile("me.jpg", data, "image/jpeg")}


def test_a_portrait_gives_one_face_an_emotion_and_an_emoticon(client):
    response = client.post("/api/emoticon/", upload(ASTRONAUT_JPEG))
    assert response.status_code == 201
    body = response.json()
    assert body["emotion"]["label"] in EMOTIONS and set(body["emotion"]["scores"]) == set(EMOTIONS)
    assert math.isclose(sum(body["emotion"]["scores"].values()), 1.0, abs_tol=1e-2)
    box = body["face_box"]
    assert 150 < box["x"] + box["width"] / 2 < 300 and 50 < box["y"] + box["height"] / 2 < 200
    attributes = body["attributes"]
    assert attributes["mask"] is False and attributes["glasses"] == "none"
    assert 1 <= attributes["skin_tone"]["scale_step"] <= 10 and attributes["skin_tone"]["hex"].startswith("#")
    assert set(attributes["engines"]) >= {"mask", "glasses", "skin_tone"}
    assert {"detect", "emotion", "attributes", "render", "total"} <= set(body["timings_ms"])


def test_the_png_is_transparent_and_the_svg_parses(client):
    body = client.post("/api/emoticon/", upload(ASTRONAUT_JPEG)).json()
    emoticon = Emoticon.objects.get(token=body["id"])
    png = Image.open(emoticon.output_image.open("rb"))
    assert png.mode == "RGBA" and png.size == (512, 512) and png.getpixel((0, 0))[3] == 0
    root = ET.fromstring(emoticon.svg_file.open("rb").read())
    assert root.tag.endswith("svg")


def test_a_webcam_data_url_works_the_same(client):
    response = client.post("/api/emoticon/", json.dumps({"image": data_url(ASTRONAUT_JPEG)}),
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 201


def test_two_faces_side_by_side_are_multiple_faces_with_both_boxes(client):
    pair = np.hstack([astronaut(), astronaut()[:, ::-1]])
    response = client.post("/api/emoticon/", upload(encode(pair, "JPEG")))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "multiple_faces" and len(error["faces"]) == 2
    assert Emoticon.objects.count() == 0


def test_a_photo_of_two_people_is_multiple_faces(client):
    photo = shared_photo("faces/face_recognition/examples/two_people.jpg")
    response = client.post("/api/emoticon/", upload(encode(photo, "JPEG")))
    assert response.json()["error"]["code"] == "multiple_faces"


def test_no_face_is_a_422_no_face(client):
    response = client.post("/api/emoticon/", upload(encode(flat_image(320, 240), "JPEG")))
    assert response.status_code == 422
    assert response.json()["error"] == {"code": "no_face", "message": response.json()["error"]["message"],
                                        "faces": []}  # fmt: skip


def test_a_face_too_small_to_read_is_a_422_with_its_box(client):
    canvas = np.full((900, 1200, 3), 235, np.uint8)
    canvas[400:496, 560:656] = cv2.resize(astronaut(), (96, 96), interpolation=cv2.INTER_AREA)
    response = client.post("/api/emoticon/", upload(encode(canvas, "JPEG")))
    error = response.json()["error"]
    assert response.status_code == 422 and error["code"] in ("face_too_small", "no_face")
    if error["code"] == "face_too_small":
        assert len(error["faces"]) == 1


def test_a_face_with_a_drawn_on_mask_is_read_as_masked_end_to_end(client):
    from apps.core.face_models import face_landmarks

    rgb = astronaut()
    points = face_landmarks(rgb)[0]
    # A light-blue surgical mask from the nose bridge over the lower face to the chin.
    lower_face = [1, 50, 123, 116, 234, 93, 132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379,
                  365, 397, 288, 361, 323, 454, 345, 352, 280, 6]  # fmt: skip
    polygon = points[[i for i in lower_face if i < len(points)]].astype(np.int32)
    masked = rgb.copy()
    cv2.fillPoly(masked, [cv2.convexHull(polygon)], (160, 200, 230))
    body = client.post("/api/emoticon/", upload(encode(masked, "JPEG", quality=95))).json()
    assert body["attributes"]["mask"] is True
    assert "mask" in body["emotion"]["note"]


def test_sticker_pack_holds_all_seven_emotions(client):
    import zipfile

    body = client.post("/api/emoticon/", upload(ASTRONAUT_JPEG)).json()
    response = client.get(body["sticker_pack_url"])
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert sum(name.endswith(".png") for name in names) == 7 and sum(name.endswith(".svg") for name in names) == 7
