"""A stored file that cannot be read (the disk or the object store is down) is a 503 that says so."""

from __future__ import annotations

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.images import astronaut, encode

pytestmark = [pytest.mark.models, pytest.mark.django_db]
ASTRONAUT_JPEG = encode(astronaut(), "JPEG", quality=92)


def storage_down(monkeypatch) -> None:
    def unreachable(self, name, mode="rb"):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(FileSystemStorage, "_open", unreachable)


@pytest.mark.parametrize(("tool", "fields"), [("idphoto", {}), ("suit", {"style": "navy-tie"})])
def test_a_size_download_with_storage_down_is_a_503_page_that_says_so(client, monkeypatch, tool, fields):
    body = client.post(f"/api/{tool}/", {"image": SimpleUploadedFile("me.jpg", ASTRONAUT_JPEG), **fields}).json()
    size_url = body["sizes"][0]["url"]
    storage_down(monkeypatch)

    page = client.get(size_url)
    assert page.status_code == 503
    assert "cannot be read right now" in page.content.decode()

    api = client.get(size_url, headers={"Accept": "application/json"})
    assert api.status_code == 503 and api.json()["error"]["code"] == "storage_unavailable"


def test_other_errors_are_not_taken_for_storage_faults(client, monkeypatch):
    from apps.core.faults import StorageFaultMiddleware

    middleware = StorageFaultMiddleware(lambda request: None)
    assert middleware.process_exception(None, ValueError("a bug")) is None


def test_an_api_change_with_storage_down_is_a_503_in_the_error_shape(client, monkeypatch):
    body = client.post("/api/idphoto/", {"image": SimpleUploadedFile("me.jpg", ASTRONAUT_JPEG)}).json()
    storage_down(monkeypatch)

    response = client.post(f"/api/idphoto/{body['id']}/background", {"colour": "#112233"},
                           content_type="application/json")  # fmt: skip

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "storage_unavailable"
