"""POST /api/seasons/: a square crop translated in one of six directions, and the page flow."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.core import ml as registry
from apps.seasons import cyclegan
from apps.seasons.models import SeasonsPhoto
from apps.seasons.pipeline.photographic import ENGINE_PHOTOGRAPHIC
from apps.seasons.pipeline.types import DIRECTIONS
from tests.images import data_url, encode

pytestmark = pytest.mark.django_db


def landscape() -> np.ndarray:
    """A real landscape when the shared data is here, else scikit-image's coffee cup (still a photo)."""
    from tests.images import SHARED_DATA

    path = SHARED_DATA / "summer2winter_yosemite" / "testA"
    files = sorted(path.glob("*.jpg")) if path.exists() else []
    if files:
        rgb = np.asarray(Image.open(files[1]).convert("RGB"))
    else:
        from skimage import data

        rgb = data.coffee()
    # Both at 640x480: the crops below are chosen for that size.
    return np.ascontiguousarray(cv2.resize(rgb, (640, 480), interpolation=cv2.INTER_CUBIC))


JPEG = encode(landscape(), "JPEG", quality=92)


def post(client, direction: str, **extra):
    return client.post("/api/seasons/", {"image": SimpleUploadedFile("view.jpg", JPEG, "image/jpeg"),
                                         "direction": direction, **extra})  # fmt: skip


def result_pixels(photo: SeasonsPhoto) -> np.ndarray:
    return np.asarray(Image.open(photo.output_image.open("rb")).convert("RGB"))


# What ml_models/seasons ships: trained generators for the pair with data, the photographic engine elsewhere.
SHIPPED_ENGINES = {
    "summer2winter": cyclegan.engine_name("summer2winter"),
    "winter2summer": cyclegan.engine_name("winter2summer"),
    "day2night": ENGINE_PHOTOGRAPHIC,
    "night2day": ENGINE_PHOTOGRAPHIC,
    "spring2autumn": ENGINE_PHOTOGRAPHIC,
    "autumn2spring": ENGINE_PHOTOGRAPHIC,
}


@pytest.mark.parametrize("direction", list(DIRECTIONS))
def test_every_direction_gives_a_square_at_the_crops_resolution_and_names_its_engine(client, direction):
    response = post(client, direction, crop_x="100", crop_y="20", crop_size="400")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["direction"] == direction and body["engine"] == SHIPPED_ENGINES[direction]
    assert body["crop"] == {"x": 100, "y": 20, "size": 400} and body["size"] == 400
    photo = SeasonsPhoto.objects.get(token=body["id"])
    assert result_pixels(photo).shape == (400, 400, 3)
    assert {"translate", "restore", "total"} <= set(body["timings_ms"])


def test_night_is_darker_than_the_day_it_came_from(client):
    body = post(client, "day2night").json()
    photo = SeasonsPhoto.objects.get(token=body["id"])
    before = np.asarray(Image.open(photo.before_image.open("rb")).convert("L")).mean()
    assert np.asarray(Image.fromarray(result_pixels(photo)).convert("L")).mean() < before - 30


def test_without_a_crop_the_largest_centred_square_is_used(client):
    body = post(client, "summer2winter").json()
    height, width = landscape().shape[:2]
    side = min(height, width)
    assert body["crop"] == {"x": (width - side) // 2, "y": (height - side) // 2, "size": side}


def test_a_json_body_with_a_data_url_and_a_crop_object_works(client):
    payload = {"image": data_url(JPEG), "direction": "spring2autumn", "crop": {"x": 0, "y": 0, "size": 300}}
    response = client.post("/api/seasons/", json.dumps(payload), content_type="application/json")
    assert response.status_code == 201 and response.json()["size"] == 300


def test_the_delivered_image_is_capped_at_1024_px(client):
    big = cv2.resize(landscape(), (1600, 1200), interpolation=cv2.INTER_CUBIC)
    response = client.post("/api/seasons/", {"image": SimpleUploadedFile("big.jpg", encode(big, "JPEG")),
                                             "direction": "night2day"})  # fmt: skip
    assert response.json()["size"] == 1024


@pytest.mark.parametrize(
    "extra,code",
    [
        ({"direction": "summer2spring"}, "unknown_direction"),
        ({"direction": "day2night", "crop_x": "500", "crop_y": "0", "crop_size": "400"}, "crop_outside_image"),
        ({"direction": "day2night", "crop_x": "0", "crop_y": "0"}, "bad_crop"),
        ({"direction": "day2night", "crop": "not json"}, "bad_crop"),
    ],
)
def test_bad_directions_and_crops_are_clear_422s_and_store_nothing(client, extra, code):
    response = client.post("/api/seasons/", {"image": SimpleUploadedFile("view.jpg", JPEG, "image/jpeg"), **extra})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert SeasonsPhoto.objects.count() == 0


def test_the_domain_guess_suggests_a_direction(client):
    response = client.post("/api/seasons/guess", {"image": SimpleUploadedFile("view.jpg", JPEG, "image/jpeg")})
    body = response.json()
    assert response.status_code == 200 and set(body["domains"]) == {"day", "night", "spring", "autumn", "summer",
                                                                    "winter"}  # fmt: skip
    assert DIRECTIONS[body["suggested_direction"]].source == body["domain"]


@pytest.fixture
def tiny_generator(settings, tmp_path):
    """A CycleGAN generator exported where the site looks for summer2winter."""
    settings.ML_MODELS_DIR = tmp_path / "ml_models"
    path = cyclegan.generator_path("summer2winter")
    path.parent.mkdir(parents=True)
    cyclegan.build_generator(size=64, filters=8, residual_blocks=1, name="summer2winter").save(path)
    originals = [registry.get_spec(cyclegan.model_name(d)) for d in DIRECTIONS]
    registry.forget_loaded()
    cyclegan.register_models()
    yield
    registry.forget_loaded()
    for spec in originals:
        registry.register(spec)


@pytest.mark.models
def test_the_site_uses_a_cyclegan_generator_when_its_file_exists_and_says_so(client, tiny_generator):
    body = post(client, "summer2winter", crop_x="0", crop_y="0", crop_size="480").json()
    assert body["engine"] == "CycleGAN generator trained here (ml_models/seasons/summer2winter.keras)"
    assert "upsample" in body["timings_ms"]
    photo = SeasonsPhoto.objects.get(token=body["id"])
    assert result_pixels(photo).shape == (480, 480, 3)
    # The other direction of the pair has no file: it stays photographic.
    assert post(client, "winter2summer").json()["engine"] == ENGINE_PHOTOGRAPHIC


def test_the_page_flow_leads_to_the_directions_reveal_page(client):
    response = client.post("/seasons/", {"image": SimpleUploadedFile("view.jpg", JPEG, "image/jpeg"),
                                         "direction": "day2night"})  # fmt: skip
    photo = SeasonsPhoto.objects.get()
    assert response.status_code == 302 and response["Location"] == photo.get_absolute_url()
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert photo.output_image.url in page.content.decode()


def test_a_bad_direction_on_the_page_is_explained(client):
    response = client.post("/seasons/", {"image": SimpleUploadedFile("view.jpg", JPEG, "image/jpeg"),
                                         "direction": "sideways"})  # fmt: skip
    assert response.status_code == 422 and "Unknown direction" in response.content.decode()
