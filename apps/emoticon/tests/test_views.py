"""The emoticon pages: upload and camera entry, the result page, corrections and downloads."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.emoticon.models import Emoticon
from tests.images import astronaut, encode, flat_image

pytestmark = pytest.mark.django_db
ASTRONAUT_JPEG = encode(astronaut(), "JPEG", quality=92)


def test_the_upload_page_and_the_camera_page_offer_the_capture_component(client):
    upload = client.get("/emoticon/").content.decode()
    camera = client.get("/emoticon/camera/").content.decode()
    assert "data-capture" in upload and 'data-start-mode="camera"' not in upload
    assert 'data-start-mode="camera"' in camera


@pytest.mark.models
def test_a_photo_leads_to_a_result_page_with_bars_attributes_and_downloads(client):
    response = client.post("/emoticon/", {"image": SimpleUploadedFile("me.jpg", ASTRONAUT_JPEG, "image/jpeg")})
    emoticon = Emoticon.objects.get()
    assert response.status_code == 302 and response["Location"] == emoticon.get_absolute_url()
    html = client.get(response["Location"]).content.decode()
    assert html.count('role="meter"') == 7
    assert "face-box" in html and "Monk" in html
    assert emoticon.svg_file.url in html and "stickers.zip" in html


@pytest.mark.models
def test_correcting_the_emotion_and_glasses_redraws_and_remembers(client):
    client.post("/emoticon/", {"image": SimpleUploadedFile("me.jpg", ASTRONAUT_JPEG, "image/jpeg")})
    emoticon = Emoticon.objects.get()
    before_png = emoticon.output_image.open("rb").read()
    response = client.post(
        f"/emoticon/{emoticon.token}/correct/",
        {"emotion": "surprise", "mask": "no", "glasses": "sunglasses", "frame_shape": "square", "skin_step": "7"},
    )
    assert response.status_code == 302
    emoticon.refresh_from_db()
    assert emoticon.spec["emotion"] == "surprise" and emoticon.spec["glasses"] == "sunglasses"
    assert emoticon.spec["skin_hex"] == "#825c43"
    assert emoticon.corrections["emotion"] == "surprise"
    assert emoticon.emotion_scores and emoticon.attributes["glasses"] == "none"  # what was read is kept
    assert emoticon.output_image.open("rb").read() != before_png


@pytest.mark.models
def test_a_bad_correction_is_explained_not_a_500(client):
    client.post("/emoticon/", {"image": SimpleUploadedFile("me.jpg", ASTRONAUT_JPEG, "image/jpeg")})
    emoticon = Emoticon.objects.get()
    response = client.post(f"/emoticon/{emoticon.token}/correct/", {"emotion": "ecstatic", "mask": "no",
                                                                     "glasses": "none"})  # fmt: skip
    assert response.status_code == 422


@pytest.mark.models
def test_no_face_shows_the_reason_on_the_page(client):
    response = client.post("/emoticon/camera/", {"image": SimpleUploadedFile("x.jpg", encode(flat_image(), "JPEG"))})
    assert response.status_code == 422 and "No face was found" in response.content.decode()


@pytest.mark.models
def test_another_visitor_cannot_open_the_result(client):
    from django.test import Client

    client.post("/emoticon/", {"image": SimpleUploadedFile("me.jpg", ASTRONAUT_JPEG, "image/jpeg")})
    emoticon = Emoticon.objects.get()
    assert Client().get(emoticon.get_absolute_url()).status_code == 404
