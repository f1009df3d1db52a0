"""A staff reviewer in headless Chromium: log in, open the cross-tool review queue, approve a creation."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User

from apps.core.models import ReviewStatus
from apps.core.services import save_creation
from apps.idphoto.models import IdPhoto
from apps.suit.models import SuitPhoto
from tests.images import astronaut, encode

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"


def stored(creation):
    jpeg = encode(astronaut()[::4, ::4].copy(), "JPEG")
    files = {field.name: (f"{field.name}.jpg", jpeg) for field in creation._meta.get_fields()
             if field.get_internal_type() == "FileField"}  # fmt: skip
    return save_creation(creation, files)


def test_a_reviewer_approves_a_creation_from_the_queue(live_server, desktop_page, page_errors):
    User.objects.create_superuser("reviewer", "reviewer@example.com", "a long review password")
    idphoto = stored(IdPhoto(owner_session="someone", background_hex="#aabbcc", params={"width": 128, "height": 128}))
    suit = stored(SuitPhoto(owner_session="someone", style="navy-tie", background_hex="#ffffff", size_key="35x45",
                            params={"width": 128, "height": 128}))  # fmt: skip
    page = desktop_page

    page.goto(live_server.url + "/admin/review/")
    page.get_by_label("Username").fill("reviewer")
    page.get_by_label("Password").fill("a long review password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/review/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    assert page.locator("#result_list img").count() >= 4  # input and output thumbnails of each

    page.get_by_label(f"Select {SuitPhoto.TOOL_LABEL} {suit.token}").check()
    page.locator("select[name=action]").select_option("approve")
    page.get_by_role("button", name="Go").click()
    page.wait_for_load_state("load")

    assert "marked approved" in page.locator(".messagelist").inner_text()
    suit.refresh_from_db()
    idphoto.refresh_from_db()
    assert suit.review_status == ReviewStatus.APPROVED and suit.reviewed_by.username == "reviewer"
    assert idphoto.review_status == ReviewStatus.PENDING
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-review-queue.png"), full_page=True)
    assert page_errors == []
