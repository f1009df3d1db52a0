"""The suit pages, end to end: photo and style → result page → refit → downloads."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from apps.core.services import save_creation
from apps.suit.models import SuitPhoto
from apps.suit.pipeline.garments import STYLES
from tests.images import astronaut, data_url, encode, flat_image

pytestmark = pytest.mark.django_db
ASTRONAUT_JPEG = encode(astronaut(), "JPEG", quality=92)


def upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("me.jpg", ASTRONAUT_JPEG, "image/jpeg")


def test_the_form_page_offers_a_photo_and_every_style(client):
    response = client.get("/suit/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'type="file"' in html and 'name="image"' in html and "data-capture" in html
    for style in STYLES.values():
        assert f'value="{style.key}"' in html and f"/suit/styles/{style.key}.png" in html
    assert "both shoulders" in html


def test_each_style_has_a_preview_drawing(client):
    for key in STYLES:
        response = client.get(f"/suit/styles/{key}.png")
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        assert Image.open(io.BytesIO(response.content)).size == (240, 200)
    assert client.get("/suit/styles/tuxedo.png").status_code == 404


@pytest.mark.models
def test_an_upload_leads_to_the_result_page(client):
    response = client.post("/suit/", {"image": upload(), "style": "charcoal-women", "size": "3x4"})

    photo = SuitPhoto.objects.get()
    assert response.status_code == 302 and response["Location"] == photo.get_absolute_url()
    assert photo.style == "charcoal-women" and photo.size_key == "3x4"
    html = client.get(response["Location"]).content.decode()
    assert photo.output_image.url in html
    assert f"/suit/{photo.token}/size/3x4.jpg" in html and f"/suit/{photo.token}/sheet/3x4.jpg" in html
    assert photo.engines["parsing"] in html and photo.engines["suit"] in html
    assert 'name="lift"' in html and 'name="widen"' in html


@pytest.mark.models
def test_a_webcam_capture_works_the_same(client):
    response = client.post("/suit/", {"image": data_url(ASTRONAUT_JPEG), "style": "navy-tie"})

    assert response.status_code == 302
    assert SuitPhoto.objects.get().params["input_source"] == "data_url"


@pytest.mark.models
def test_the_result_page_redraws_with_the_fit_controls(client):
    client.post("/suit/", {"image": upload(), "style": "navy-tie"})
    photo = SuitPhoto.objects.get()
    first_output = photo.output_image.name

    response = client.post(f"/suit/{photo.token}/refit/", {"lift": "0.08", "widen": "-0.1", "style": "black-tie",
                                                          "background": "#ffffff"})  # fmt: skip

    assert response.status_code == 302
    photo.refresh_from_db()
    assert (photo.lift, photo.widen, photo.style, photo.background_hex) == (0.08, -0.1, "black-tie", "#ffffff")
    assert photo.output_image.name != first_output
    assert not photo.output_image.storage.exists(first_output)  # the old drawing does not linger


@pytest.mark.models
def test_a_photo_without_a_face_shows_the_reason_on_the_form(client):
    response = client.post("/suit/", {"image": SimpleUploadedFile("x.jpg", encode(flat_image(), "JPEG")),
                                      "style": "navy-tie"})  # fmt: skip

    assert response.status_code == 422 and "No face was found" in response.content.decode()
    assert SuitPhoto.objects.count() == 0


def test_an_unknown_style_is_explained_and_nothing_is_made(client):
    response = client.post("/suit/", {"image": upload(), "style": "tuxedo"})

    assert response.status_code == 422 and "tuxedo" in response.content.decode()
    assert SuitPhoto.objects.count() == 0


def saved_photo(owner: str) -> SuitPhoto:
    files = {name: (f"{name}.png", b"x") for name in ("input_image", "output_image", "foreground_image", "layers_image",
                                                       "parsing_image")}  # fmt: skip
    return save_creation(SuitPhoto(owner_session=owner, style="navy-tie", background_hex="#ffffff", size_key="35x45",
                                   params={"width": 10, "height": 10}), files)  # fmt: skip


def test_an_out_of_range_fit_is_refused(client):
    session = client.session
    session.save()
    photo = saved_photo(session.session_key)

    response = client.post(f"/suit/{photo.token}/refit/", {"lift": "3"})

    assert response.status_code == 422 and "lift" in response.content.decode()


def test_another_visitor_cannot_see_or_change_the_result(client):
    session = client.session
    session.save()
    photo = saved_photo(session.session_key)
    stranger = Client()

    assert stranger.get(photo.get_absolute_url()).status_code == 404
    assert stranger.post(f"/suit/{photo.token}/refit/", {"lift": "0.1"}).status_code == 404
