"""POST /api/idphoto/: a photo in, the ID photo's description out; clear errors otherwise."""

from __future__ import annotations

import json

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.idphoto.models import IdPhoto
from tests.images import astronaut, data_url, encode, flat_image

pytestmark = [pytest.mark.django_db]
ASTRONAUT_JPEG = encode(astronaut(), "JPEG", quality=92)


def upload(data: bytes, name: str = "me.jpg") -> dict:
    return {"image": SimpleUploadedFile(name, data, "image/jpeg")}


@pytest.mark.models
def test_an_upload_makes_an_id_photo(client):
    response = client.post("/api/idphoto/", upload(ASTRONAUT_JPEG))
    assert response.status_code == 201
    body = response.json()
    assert set(body) >= {"id", "background", "candidates", "result_url", "cutout_url", "sizes", "engines", "timings_ms"}
    assert body["background"]["hex"] == body["candidates"][0] and len(body["candidates"]) >= 5
    assert body["background"]["reason"] and body["background"]["palette"]
    assert body["engines"]["matting"].startswith("mediapipe") and "personal-colour" in body["engines"]["background"]
    assert [s["key"] for s in body["sizes"]] == ["35x45", "3x4", "2x2in"]
    assert IdPhoto.objects.get(token=body["id"]).background_hex == body["background"]["hex"]


@pytest.mark.models
def test_a_json_data_url_makes_the_same_id_photo(client):
    response = client.post("/api/idphoto/", json.dumps({"image": data_url(ASTRONAUT_JPEG)}),
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 201
    assert response.json()["background"]["hex"].startswith("#")


@pytest.mark.models
def test_the_result_colour_is_the_colour_the_api_names(client):
    body = client.post("/api/idphoto/", upload(ASTRONAUT_JPEG)).json()
    photo = IdPhoto.objects.get(token=body["id"])
    pixels = np.asarray(Image.open(photo.output_image.open("rb")).convert("RGB")).astype(int)
    hex_colour = body["background"]["hex"]
    expected = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
    assert np.abs(pixels[5:30, 400:500] - expected).max() <= 6


@pytest.mark.models
def test_size_downloads_are_jpegs_at_300_dpi(client):
    body = client.post("/api/idphoto/", upload(ASTRONAUT_JPEG)).json()
    size = body["sizes"][0]
    response = client.get(size["url"])
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    import io

    image = Image.open(io.BytesIO(response.content))
    assert image.size == (size["width_px"], size["height_px"]) and image.info["dpi"] == (300, 300)


@pytest.mark.models
def test_a_photo_without_a_face_is_a_422_with_a_code(client):
    response = client.post("/api/idphoto/", upload(encode(flat_image(300, 300), "JPEG")))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "no_face"
    assert IdPhoto.objects.count() == 0


@pytest.mark.models
def test_setting_a_background_through_the_api_rerenders_and_records(client):
    body = client.post("/api/idphoto/", upload(ASTRONAUT_JPEG)).json()
    response = client.post(f"/api/idphoto/{body['id']}/background", json.dumps({"colour": "#AABBCC"}),
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 200 and response.json()["background"]["hex"] == "#aabbcc"
    assert IdPhoto.objects.get(token=body["id"]).choices.get().kind == "custom"


@pytest.mark.models
def test_a_bad_colour_is_a_422(client):
    body = client.post("/api/idphoto/", upload(ASTRONAUT_JPEG)).json()
    response = client.post(f"/api/idphoto/{body['id']}/background", json.dumps({"colour": "red"}),
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 422 and response.json()["error"]["code"] == "bad_colour"


@pytest.mark.parametrize(
    "payload,status,code",
    [
        ({"image": SimpleUploadedFile("x.jpg", b"", "image/jpeg")}, 400, "empty"),
        ({"image": SimpleUploadedFile("x.jpg", b"hello", "image/jpeg")}, 415, "unsupported_format"),
        ({"image": "data:image/png;base64,***"}, 400, "bad_data_url"),
        ({"picture": "data:image/png;base64,AAAA"}, 400, "missing_image"),
    ],
)
def test_bad_input_is_a_clear_4xx_and_stores_nothing(client, payload, status, code):
    response = client.post("/api/idphoto/", payload)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert IdPhoto.objects.count() == 0


def test_an_unknown_id_is_a_404(client):
    assert client.get("/api/idphoto/not-a-token").status_code == 404


def test_the_openapi_document_describes_both_ways_to_send_a_photo(client):
    schema = client.get("/api/openapi.json").json()
    body = schema["paths"]["/api/idphoto/"]["post"]["requestBody"]["content"]
    assert set(body) == {"multipart/form-data", "application/json"}
    assert "422" in schema["paths"]["/api/idphoto/"]["post"]["responses"]


@pytest.mark.models
def test_no_exif_from_the_upload_survives_in_any_stored_or_served_file(client):
    import io

    from PIL import Image as PILImage

    image = PILImage.fromarray(astronaut())
    exif = image.getexif()
    exif[0x010F] = "SecretPhoneMaker"  # camera make
    exif[0x8825] = {1: "N", 2: (37.0, 33.0, 0.0), 3: "E", 4: (126.0, 58.0, 0.0)}  # GPS position
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    assert b"SecretPhoneMaker" in out.getvalue()
    body = client.post("/api/idphoto/", upload(out.getvalue())).json()
    photo = IdPhoto.objects.get(token=body["id"])
    served = [client.get(size["url"]).content for size in body["sizes"]]
    stored = [field.open("rb").read() for field in (photo.input_image, photo.output_image, photo.cutout_image)]
    for data in stored + served:
        assert b"SecretPhoneMaker" not in data and b"Exif" not in data
        assert not PILImage.open(io.BytesIO(data)).getexif()
