"""Faces are personal data: the admin is for staff only, and a creation is shown only to the session that made it.

The review queue's own permission tests (view-only staff, staff without permissions) are in test_review_queue.py.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from apps.core.creations import creation_models
from apps.core.models import ReviewStatus
from apps.core.services import save_creation
from apps.idphoto.models import IdPhoto

STAFF_ONLY = [
    "/admin/",
    "/admin/review/",
    "/admin/idphoto/idphoto/",
    "/admin/emoticon/emoticon/",
    "/admin/seasons/seasonsphoto/",
    "/admin/suit/suitphoto/",
    "/admin/composition/compositionshot/",
    "/admin/composition/compositionprofile/",
]


def assert_sent_to_login(response, url: str) -> None:
    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={url}"


@pytest.mark.django_db
@pytest.mark.parametrize("url", STAFF_ONLY)
def test_an_anonymous_visitor_is_sent_to_the_login(client, url):
    assert_sent_to_login(client.get(url), url)


@pytest.mark.django_db
@pytest.mark.parametrize("url", STAFF_ONLY)
def test_a_logged_in_user_who_is_not_staff_is_sent_to_the_login(client, url):
    client.force_login(User.objects.create_user("visitor", password="pw"))
    assert_sent_to_login(client.get(url), url)


@pytest.mark.django_db
def test_even_a_superuser_flag_does_not_open_the_admin_without_staff(client):
    client.force_login(User.objects.create_user("odd", password="pw", is_superuser=True))
    assert_sent_to_login(client.get("/admin/review/"), "/admin/review/")


@pytest.mark.django_db
def test_a_user_who_is_not_staff_cannot_review(client):
    photo = save_creation(IdPhoto(owner_session="s", background_hex="#ffffff"), {"output_image": ("r.jpg", b"x")})
    client.force_login(User.objects.create_user("visitor", password="pw"))
    client.post("/admin/review/", {"action": "approve", "items": [f"idphoto.idphoto:{photo.pk}"]})
    client.post("/admin/idphoto/idphoto/", {"action": "approve", "_selected_action": [photo.pk], "index": 0})
    photo.refresh_from_db()
    assert photo.review_status == ReviewStatus.PENDING and photo.reviewed_by is None


@pytest.mark.django_db
def test_the_admin_login_refuses_a_user_who_is_not_staff(client):
    User.objects.create_user("visitor", password="a-long-password-1")
    response = client.post("/admin/login/?next=/admin/", {"username": "visitor", "password": "a-long-password-1"})
    assert response.status_code == 200  # the form again, with its error; no redirect into the admin
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session


# Creations are bound to the session that made them.


@pytest.mark.django_db
@pytest.mark.parametrize("model", creation_models(), ids=lambda model: model.TOOL)
def test_another_visitor_gets_a_404_for_every_tools_result(model):
    creation = model.objects.create(owner_session="the-owners-session")
    stranger = Client()
    assert stranger.get(creation.get_absolute_url()).status_code == 404  # no session at all
    assert stranger.session.session_key  # now a session of their own
    assert stranger.get(creation.get_absolute_url()).status_code == 404
    assert creation.token not in stranger.get("/mine/").content.decode()
