"""The idphoto pages, end to end: upload or webcam capture → result page → another colour → downloads."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.idphoto.models import BackgroundChoice, IdPhoto
from tests.images import astronaut, data_url, encode, flat_image

pytestmark = pytest.mark.django_db
ASTRONAUT_JPEG = encode(astronaut(), "JPEG", quality=92)


def test_the_form_page_offers_upload_and_camera(client):
    response = client.get("/idphoto/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="file"' in html and 'name="image"' in html and "data-capture" in html


@pytest.mark.models
def test_an_upload_leads_to_the_result_page(client):
    response = client.post("/idphoto/", {"image": SimpleUploadedFile("me.jpg", ASTRONAUT_JPEG, "image/jpeg")})
    photo = IdPhoto.objects.get()
    assert response.status_code == 302 and response["Location"] == photo.get_absolute_url()
    page = client.get(response["Location"])
    html = page.content.decode()
    assert photo.background_hex in html and photo.candidates[0]["name"] in html
    assert html.count('class="colour-choice"') >= 5 and 'type="color"' in html
    assert "size/35x45.jpg" in html and "sheet/2x2in.jpg" in html
    assert photo.engines["background"] in html


@pytest.mark.models
def test_a_webcam_capture_leads_to_the_result_page(client):
    response = client.post("/idphoto/", {"image": data_url(ASTRONAUT_JPEG)})
    assert response.status_code == 302
    assert IdPhoto.objects.get().params["input_source"] == "data_url"


@pytest.mark.models
def test_picking_a_swatch_changes_the_colour_and_is_remembered(client):
    client.post("/idphoto/", {"image": SimpleUploadedFile("me.jpg", ASTRONAUT_JPEG, "image/jpeg")})
    photo = IdPhoto.objects.get()
    second = photo.candidates[1]["hex"]
    response = client.post(f"/idphoto/{photo.token}/background/", {"colour": second})
    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.background_hex == second
    assert BackgroundChoice.objects.get().candidate_rank == 1


@pytest.mark.models
def test_another_visitor_cannot_see_the_result_page(client, django_user_model):
    from django.test import Client

    client.post("/idphoto/", {"image": SimpleUploadedFile("me.jpg", ASTRONAUT_JPEG, "image/jpeg")})
    photo = IdPhoto.objects.get()
    stranger = Client()
    assert stranger.get(photo.get_absolute_url()).status_code == 404
    assert stranger.post(f"/idphoto/{photo.token}/background/", {"colour": "#000000"}).status_code == 404
    assert client.get(photo.get_absolute_url()).status_code == 200


@pytest.mark.models
def test_my_creations_lists_only_my_photos(client):
    from django.test import Client

    client.post("/idphoto/", {"image": SimpleUploadedFile("me.jpg", ASTRONAUT_JPEG, "image/jpeg")})
    photo = IdPhoto.objects.get()
    assert photo.get_absolute_url() in client.get("/mine/").content.decode()
    assert photo.get_absolute_url() not in Client().get("/mine/").content.decode()


@pytest.mark.models
def test_a_photo_without_a_face_shows_the_reason_on_the_form(client):
    response = client.post("/idphoto/", {"image": SimpleUploadedFile("x.jpg", encode(flat_image(), "JPEG"))})
    assert response.status_code == 422
    assert "No face was found" in response.content.decode()
    assert IdPhoto.objects.count() == 0


def test_a_broken_file_shows_a_friendly_message_on_the_form(client):
    response = client.post("/idphoto/", {"image": SimpleUploadedFile("x.jpg", b"\xff\xd8\xff\xe0broken")})
    assert response.status_code == 400
    assert "damaged" in response.content.decode()


def test_a_bad_custom_colour_is_explained(client):
    from apps.core.services import save_creation

    session = client.session
    session.save()
    photo = save_creation(
        IdPhoto(owner_session=session.session_key, background_hex="#ffffff", params={"width": 10, "height": 10}),
        {"input_image": ("i.jpg", b"x"), "output_image": ("o.jpg", b"x"), "cutout_image": ("c.png", b"x")},
    )
    response = client.post(f"/idphoto/{photo.token}/background/", {"colour": "blue"})
    assert response.status_code == 422 and "#a1b2c3" in response.content.decode()
