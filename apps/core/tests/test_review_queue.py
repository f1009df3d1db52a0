"""The staff review queue across every tool, and each tool's own changelist."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from apps.core.creations import creation_key, creations_review, date_preset_range, engine_values, review_queue
from apps.core.models import ReviewStatus
from apps.core.services import save_creation
from apps.idphoto.models import IdPhoto
from tests.images import encode, flat_image

QUEUE = "/admin/review/"
JPEG = encode(flat_image(), "JPEG")
PNG = encode(flat_image(), "PNG")


def make_photo(engine: str = "matting: rvm", days_ago: int = 0, status: str = ReviewStatus.PENDING) -> IdPhoto:
    photo = IdPhoto(owner_session="s", background_hex="#aabbcc", review_status=status)
    photo.set_engines({"matting": engine.removeprefix("matting: ")})
    photo = save_creation(
        photo,
        {"input_image": ("input.jpg", JPEG), "output_image": ("result.jpg", JPEG), "cutout_image": ("cutout.png", PNG)},
    )
    if days_ago:
        IdPhoto.objects.filter(pk=photo.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
        photo.refresh_from_db()
    return photo


def listed(**filters) -> list[int]:
    return [item.creation.pk for item in review_queue(**filters)[0:100]]


def post(client, data: dict, query: str = ""):
    """POST to the queue, follow the redirect back, and return (where it went, the messages shown)."""
    response = client.post(QUEUE + query, data, follow=True)
    assert response.status_code == 200
    return response.redirect_chain[-1][0], [str(message) for message in response.context["messages"]]


# The reading function, without HTTP


@pytest.mark.django_db
def test_it_lists_every_creation_newest_first():
    old, new = make_photo(days_ago=3), make_photo()
    assert listed() == [new.pk, old.pk]
    assert review_queue().count() == 2


@pytest.mark.django_db
def test_the_tool_filter_keeps_the_tool_and_an_unknown_tool_lists_nothing():
    photo = make_photo()
    assert listed(tool="idphoto") == [photo.pk]
    assert listed(tool="emoticon") == []
    assert review_queue(tool="emoticon").count() == 0


@pytest.mark.django_db
def test_status_engine_and_date_filters_narrow_the_list():
    pending = make_photo(engine="matting: rvm")
    flagged = make_photo(engine="matting: grabcut", status=ReviewStatus.FLAGGED)
    old = make_photo(engine="matting: rvm", days_ago=40)
    today = timezone.localdate()
    assert listed(status=ReviewStatus.FLAGGED) == [flagged.pk]
    assert listed(engine="matting: rvm") == [pending.pk, old.pk]
    assert listed(created_from=today, created_to=today) == [flagged.pk, pending.pk]
    assert listed(created_to=today - timedelta(days=30)) == [old.pk]
    assert listed(status=ReviewStatus.PENDING, engine="matting: grabcut") == []
    assert engine_values() == ["matting: grabcut", "matting: rvm"]


def test_date_presets_are_inclusive_day_ranges():
    day = timezone.now().date().replace(year=2025, month=5, day=17)
    assert date_preset_range("today", day) == (day, day)
    assert date_preset_range("7d", day) == (day - timedelta(days=6), day)
    assert date_preset_range("month", day) == (day.replace(day=1), day)
    assert date_preset_range("", day) == (None, None)
    assert date_preset_range("bogus", day) == (None, None)


@pytest.mark.django_db
def test_pages_slice_the_merged_list():
    photos = [make_photo(days_ago=n) for n in range(1, 6)]  # newest first
    queue = review_queue()
    assert [item.creation.pk for item in queue[2:4]] == [photos[2].pk, photos[3].pk]
    assert [item.creation.pk for item in queue[4:10]] == [photos[4].pk]


@pytest.mark.django_db
def test_the_review_service_ignores_malformed_foreign_and_missing_keys(admin_user):
    photo = make_photo()
    keys = [creation_key(photo), "auth.user:1", "idphoto.idphoto:abc", "idphoto.idphoto:99999", "nonsense",
            "idphoto.idphoto:" + "9" * 30]  # fmt: skip
    outcome = creations_review(keys=keys, status=ReviewStatus.REJECTED, reviewer=admin_user)
    assert outcome.updated == 1
    assert sorted(outcome.ignored) == sorted(keys[1:])
    photo.refresh_from_db()
    assert photo.review_status == ReviewStatus.REJECTED and photo.reviewed_by == admin_user


# The admin page


@pytest.mark.django_db
def test_it_shows_both_thumbnails_and_links(admin_client):
    photo = make_photo()
    response = admin_client.get(QUEUE)
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "admin/review_queue.html"
    html = response.content.decode()
    assert photo.input_image.url in html and photo.output_image.url in html
    assert f'value="idphoto.idphoto:{photo.pk}"' in html
    assert f"/admin/idphoto/idphoto/{photo.pk}/change/" in html
    assert photo.get_absolute_url() in html
    assert "Emotional ID photo" in html and "Pending review" in html


@pytest.mark.django_db
def test_get_filters_narrow_the_page_and_show_the_choice(admin_client):
    rvm = make_photo(engine="matting: rvm")
    grabcut = make_photo(engine="matting: grabcut", status=ReviewStatus.APPROVED)
    old = make_photo(days_ago=40)

    def keys(query: str) -> set[str]:
        return {item.key for item in admin_client.get(QUEUE + query).context["page"].object_list}

    assert keys("") == {creation_key(p) for p in (rvm, grabcut, old)}
    assert keys("?status=approved") == {creation_key(grabcut)}
    assert keys("?engine=matting%3A+grabcut") == {creation_key(grabcut)}
    assert keys("?tool=idphoto&date=7d") == {creation_key(rvm), creation_key(grabcut)}
    assert keys("?tool=emoticon") == set()
    old_day = old.created_at.date().isoformat()
    assert keys(f"?date_from={old_day}&date_to={old_day}") == {creation_key(old)}

    response = admin_client.get(QUEUE + "?status=approved")
    html = response.content.decode()
    assert '<li class="selected"><a href="?status=approved">Approved</a></li>' in html
    assert "Clear all filters" in html


@pytest.mark.django_db
def test_a_bad_filter_is_reported_and_ignored(admin_client):
    make_photo()
    response = admin_client.get(QUEUE + "?status=bogus&date_from=yesterday")
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 1
    assert "not understood" in response.content.decode()


@pytest.mark.django_db
def test_bulk_actions_change_exactly_the_checked_rows(admin_client, admin_user):
    first, second, untouched = make_photo(), make_photo(), make_photo()
    for action, status in [("approve", "approved"), ("reject", "rejected"), ("flag", "flagged")]:
        went, shown = post(
            admin_client, {"action": action, "items": [creation_key(p) for p in (first, second)]}, "?p=1"
        )
        assert went == QUEUE + "?p=1"
        assert shown == [f"2 creations marked {ReviewStatus(status).label.lower()}."]
        for photo in (first, second):
            photo.refresh_from_db()
            assert photo.review_status == status
            assert photo.reviewed_by == admin_user and photo.reviewed_at is not None
    untouched.refresh_from_db()
    assert untouched.review_status == ReviewStatus.PENDING and untouched.reviewed_by is None


@pytest.mark.django_db
def test_a_tampered_item_is_ignored_with_a_message(admin_client):
    photo = make_photo()
    _, shown = post(admin_client, {"action": "flag", "items": [creation_key(photo), "auth.user:1'--"]})
    assert shown == [
        "1 creation marked flagged.",
        "Ignored 1 item(s) that are not creations you may review: auth.user:1'--",
    ]
    photo.refresh_from_db()
    assert photo.review_status == ReviewStatus.FLAGGED


@pytest.mark.django_db
def test_it_needs_checked_rows_and_a_known_action(admin_client):
    photo = make_photo()
    _, shown = post(admin_client, {"action": "approve"})
    assert shown == ["Items must be selected in order to perform actions on them. No items have been changed."]
    _, shown = post(admin_client, {"action": "delete", "items": [creation_key(photo)]})
    assert len(shown) == 1 and "not one of the available choices" in shown[0]
    photo.refresh_from_db()
    assert photo.review_status == ReviewStatus.PENDING


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_the_login(client):
    make_photo()
    response = client.get(QUEUE)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/?next=/admin/review/")
    response = client.post(QUEUE, {"action": "approve", "items": ["idphoto.idphoto:1"]})
    assert response.status_code in (302, 403)
    assert IdPhoto.objects.get().review_status == ReviewStatus.PENDING


@pytest.mark.django_db
def test_staff_with_view_permission_only_see_the_queue_but_cannot_change_it(client):
    photo = make_photo()
    user = User.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_idphoto"))
    client.force_login(user)
    response = client.get(QUEUE)
    assert [item.key for item in response.context["page"].object_list] == [creation_key(photo)]
    assert 'name="action"' not in response.content.decode()
    client.post(QUEUE, {"action": "approve", "items": [creation_key(photo)]})
    photo.refresh_from_db()
    assert photo.review_status == ReviewStatus.PENDING


@pytest.mark.django_db
def test_staff_without_permissions_see_no_creations(client):
    make_photo()
    client.force_login(User.objects.create_user("nobody", password="pw", is_staff=True))
    response = client.get(QUEUE)
    assert response.status_code == 200 and len(response.context["page"].object_list) == 0


@pytest.mark.django_db
def test_the_admin_index_links_the_queue_with_pending_counts(admin_client):
    make_photo(), make_photo(status=ReviewStatus.APPROVED)
    response = admin_client.get("/admin/")
    html = response.content.decode()
    assert 'href="/admin/review/?status=pending"' in html
    assert "Review queue" in html and "1 pending" in html and "2 in all" in html
    assert "Emotional ID photo" in html


# Each tool's own changelist


@pytest.mark.django_db
def test_the_idphoto_changelist_shows_thumbnails(admin_client):
    photo = make_photo()
    response = admin_client.get("/admin/idphoto/idphoto/")
    assert response.status_code == 200
    html = response.content.decode()
    assert photo.input_image.url in html and photo.output_image.url in html
    assert admin_client.get(f"/admin/idphoto/idphoto/{photo.pk}/change/").status_code == 200


@pytest.mark.django_db
def test_the_idphoto_changelist_actions_record_the_reviewer(admin_client, admin_user):
    chosen, other = make_photo(), make_photo()
    response = admin_client.post(
        "/admin/idphoto/idphoto/", {"action": "approve", "_selected_action": [chosen.pk], "index": 0}
    )
    assert response.status_code == 302
    chosen.refresh_from_db(), other.refresh_from_db()
    assert chosen.review_status == ReviewStatus.APPROVED and chosen.reviewed_by == admin_user
    assert other.review_status == ReviewStatus.PENDING


@pytest.mark.django_db
def test_the_page_holds_thirty_and_links_the_next(admin_client):
    photos = [make_photo(days_ago=n) for n in range(1, 32)]
    first = admin_client.get(QUEUE + "?status=pending")
    assert len(first.context["page"].object_list) == 30
    assert 'href="?status=pending&amp;p=2"' in first.content.decode()
    second = admin_client.get(QUEUE + "?status=pending&p=2")
    assert [item.creation.pk for item in second.context["page"].object_list] == [photos[-1].pk]
