"""Every page that takes a photo says, next to the input, who sees it and how long it is kept."""

from __future__ import annotations

import pytest

UPLOAD_PAGES = [
    "/idphoto/",
    "/emoticon/",
    "/emoticon/camera/",
    "/seasons/",
    "/suit/",
    "/composition/",
    "/composition/profiles/",
]


def note_on(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="capture-privacy"') == 1, "one note per page, next to the input"
    return html


@pytest.mark.django_db
@pytest.mark.parametrize("url", UPLOAD_PAGES)
def test_the_note_states_the_retention_period(client, settings, url):
    settings.EMOPIC_RETENTION_DAYS = 30
    html = note_on(client, url)
    assert "visible only to you and to our staff reviewers, and deleted after 30 days." in html


@pytest.mark.django_db
@pytest.mark.parametrize("url", UPLOAD_PAGES)
def test_the_note_follows_the_setting(client, settings, url):
    settings.EMOPIC_RETENTION_DAYS = 1
    assert "and deleted after 1 day." in note_on(client, url)


@pytest.mark.django_db
@pytest.mark.parametrize("url", UPLOAD_PAGES)
def test_with_no_retention_period_it_says_photos_are_kept(client, settings, url):
    settings.EMOPIC_RETENTION_DAYS = 0
    html = note_on(client, url)
    assert "visible only to you and to our staff reviewers, and kept." in html
    assert "deleted after" not in html


@pytest.mark.django_db
def test_the_upload_note_says_the_photo_makes_only_the_result(client):
    assert "Your photo is used only to make your result." in note_on(client, "/idphoto/")


@pytest.mark.django_db
def test_the_profiles_note_says_reference_photos_are_not_kept(client):
    assert "These photos are only measured, then dropped" in note_on(client, "/composition/profiles/")
