"""A change to a saved result (a background colour, an emoticon correction, a suit refit) that storage
fails to write is a 503 page that says so, and the stored result stays exactly as it was."""

from __future__ import annotations

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.emoticon.models import Emoticon
from apps.idphoto.models import IdPhoto
from apps.suit.models import SuitPhoto
from tests.images import astronaut, encode

pytestmark = [pytest.mark.models, pytest.mark.django_db]
ASTRONAUT_JPEG = encode(astronaut(), "JPEG", quality=92)
NOT_SAVED = "Your change could not be saved; the previous result is kept."


def make(client, url: str, **fields) -> str:
    response = client.post(url, {"image": SimpleUploadedFile("me.jpg", ASTRONAUT_JPEG, "image/jpeg"), **fields})
    assert response.status_code == 302, response.content[:300]
    return response["Location"]


def storage_fails(monkeypatch) -> None:
    def full(self, name, content):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", full)


def stored_state(model, **lookup) -> tuple:
    row = model.objects.get(**lookup)
    return row.output_image.name, row.output_image.read()


CHANGES = [
    pytest.param("/idphoto/", {}, IdPhoto, "background/", {"colour": "#112233"}, id="idphoto-background"),
    pytest.param("/emoticon/", {}, Emoticon, "correct/",
                 {"emotion": "surprise", "mask": "no", "glasses": "sunglasses", "frame_shape": "square",
                  "skin_step": "7"}, id="emoticon-correction"),
    pytest.param("/suit/", {"style": "navy-tie"}, SuitPhoto, "refit/", {"lift": "0.05", "widen": "0.05"},
                 id="suit-refit"),
]  # fmt: skip


@pytest.mark.parametrize(("new_url", "new_fields", "model", "change", "change_fields"), CHANGES)
def test_a_change_storage_cannot_write_is_a_503_page_and_the_result_is_kept(
    client, monkeypatch, new_url, new_fields, model, change, change_fields
):
    page = make(client, new_url, **new_fields)
    token = page.rstrip("/").rsplit("/", 1)[-1]
    before = stored_state(model, token=token)
    storage_fails(monkeypatch)

    response = client.post(page + change, change_fields)

    assert response.status_code == 503
    assert NOT_SAVED in response.content.decode()
    monkeypatch.undo()
    assert stored_state(model, token=token) == before
