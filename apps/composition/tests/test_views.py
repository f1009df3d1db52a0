"""The coach's pages: the live page, a photo taken or uploaded, profiles made from favourite photos."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.composition.models import CompositionProfile, CompositionShot
from apps.composition.pipeline.profiles import BUILT_IN_PROFILES
from apps.composition.services import resolve_profile
from tests.images import encode, flat_image, opencv_sample

pytestmark = pytest.mark.django_db


def standing_jpeg() -> bytes:
    return encode(opencv_sample("basketball1.png"), "JPEG", quality=90)


def test_the_coach_page_offers_every_built_in_profile_and_a_fallback_upload(client):
    response = client.get("/composition/")

    html = response.content.decode()
    assert response.status_code == 200
    for profile in BUILT_IN_PROFILES.values():
        assert profile.name in html
    assert 'name="image"' in html and "/composition/profiles/" in html


@pytest.mark.models
def test_an_uploaded_photo_is_measured_and_shown_with_its_overlay(client):
    response = client.post("/composition/shots/", {"image": SimpleUploadedFile("me.jpg", standing_jpeg()),
                                                   "profile": "centred-full-body"})  # fmt: skip

    shot = CompositionShot.objects.get()
    assert response.status_code == 302 and response["Location"] == shot.get_absolute_url()
    assert shot.trigger == "upload" and shot.people_count >= 1 and shot.profile_key == "centred-full-body"
    html = client.get(shot.get_absolute_url()).content.decode()
    assert shot.output_image.url in html and "Head ratio" in html


@pytest.mark.models
def test_the_coach_posts_its_photo_and_gets_json_back(client):
    response = client.post("/composition/shots/", {"image": SimpleUploadedFile("coach.jpg", standing_jpeg()),
                                                   "trigger": "auto"}, HTTP_ACCEPT="application/json")  # fmt: skip

    assert response.status_code == 201
    shot = CompositionShot.objects.get()
    assert response.json() == {"id": shot.token, "url": shot.get_absolute_url()} and shot.trigger == "auto"


@pytest.mark.models
def test_a_photo_without_a_person_is_explained(client):
    response = client.post("/composition/shots/", {"image": SimpleUploadedFile("wall.jpg", encode(flat_image()))},
                           HTTP_ACCEPT="application/json")  # fmt: skip

    assert response.status_code == 422 and response.json()["error"]["code"] == "no_person"
    assert CompositionShot.objects.count() == 0


@pytest.mark.models
def test_a_favourite_photo_becomes_a_profile_that_says_hold_for_the_same_photo(client):
    response = client.post("/composition/profiles/", {"name": "Like this",
                                                      "references": [SimpleUploadedFile("a.jpg", standing_jpeg())]})  # fmt: skip

    stored = CompositionProfile.objects.get()
    assert response.status_code == 302 and response["Location"] == stored.get_absolute_url()
    assert stored.name == "Like this" and stored.reference_count == 1
    client.post("/composition/shots/", {"image": SimpleUploadedFile("me.jpg", standing_jpeg()),
                                        "profile": stored.key})  # fmt: skip
    shot = CompositionShot.objects.get()
    assert shot.in_tolerance and shot.analysis["guidance"][0]["code"] == "hold"


@pytest.mark.models
def test_a_profile_can_be_renamed_and_its_targets_edited_by_its_owner_only(client):
    client.post(
        "/composition/profiles/", {"name": "Mine", "references": [SimpleUploadedFile("a.jpg", standing_jpeg())]}
    )
    stored = CompositionProfile.objects.get()
    values = {"name": "Renamed", "head_ratio": "0.13", "leg_ratio": "", "headroom": "0.05", "footroom": "0.04",
              "subject_height": "0.85", "horizontal": "centre"}  # fmt: skip

    assert Client().post(stored.get_absolute_url(), values).status_code == 404
    response = client.post(stored.get_absolute_url(), values)

    stored.refresh_from_db()
    assert response.status_code == 302 and stored.name == "Renamed"
    assert resolve_profile(stored.key, stored.owner_session).head_ratio == pytest.approx(0.13)
    assert resolve_profile(stored.key, stored.owner_session).subject_height == pytest.approx(0.85)


def test_a_profile_without_photos_is_refused(client):
    response = client.post("/composition/profiles/", {"name": "Empty"})

    assert response.status_code == 422 and "at least one photo" in response.content.decode()


@pytest.mark.models
def test_a_reference_without_anyone_in_it_is_explained(client):
    response = client.post("/composition/profiles/", {"name": "Wall",
                                                      "references": [SimpleUploadedFile("w.jpg", encode(flat_image()))]})  # fmt: skip

    assert response.status_code == 422 and CompositionProfile.objects.count() == 0
