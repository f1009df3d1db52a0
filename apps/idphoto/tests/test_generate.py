"""The real models on real photos: the person is kept, the old background is gone, the face is opaque."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from apps.core.imageio import DecodedImage
from apps.idphoto.pipeline.faces import FaceGeometry
from apps.idphoto.pipeline.sizes import ID_SIZES
from apps.idphoto.services import PhotoRejected, idphoto_choose_background, idphoto_generate, matte_photo, render_size
from tests.images import astronaut, flat_image, shared_photo

pytestmark = pytest.mark.models


def decoded(rgb: np.ndarray) -> DecodedImage:
    return DecodedImage(rgb=rgb, format="jpeg", source="upload")


@pytest.fixture(scope="module")
def astronaut_matte():
    return matte_photo(astronaut())


def test_the_astronauts_face_is_opaque(astronaut_matte):
    x, y, w, h = astronaut_matte.geometry.box
    face = astronaut_matte.matte.alpha[y + h // 4 : y + 3 * h // 4, x + w // 4 : x + 3 * w // 4]
    assert face.min() > 0.95


def test_the_old_background_is_gone(astronaut_matte):
    alpha = astronaut_matte.matte.alpha
    # The rocket (right of the head) and the grey studio wall above it are background.
    assert alpha[60:180, 360:460].mean() < 0.05
    assert alpha[5:40, 380:500].max() < 0.1


def test_the_person_is_kept(astronaut_matte):
    alpha = astronaut_matte.matte.alpha
    assert alpha[300:480, 80:300].mean() > 0.95  # the orange suit
    assert alpha[30:60, 190:280].mean() > 0.6  # the hair on top of the head


def test_face_geometry_is_found_where_the_face_is(astronaut_matte):
    geometry = astronaut_matte.geometry
    assert 180 < geometry.eye_mid[0] < 260 and 90 < geometry.eye_mid[1] < 140
    assert abs(geometry.roll_deg) < 10


def test_a_real_photo_from_the_shared_data_keeps_face_and_drops_background():
    rgb = shared_photo("faces/face_recognition/examples/obama.jpg")
    photo = matte_photo(rgb)
    x, y, w, h = photo.geometry.box
    assert photo.matte.alpha[y + h // 4 : y + 3 * h // 4, x + w // 4 : x + 3 * w // 4].min() > 0.95
    assert photo.matte.alpha[:10, :10].max() < 0.05 and photo.matte.alpha[:10, -10:].max() < 0.05


def test_a_photo_without_a_face_is_rejected():
    with pytest.raises(PhotoRejected) as info:
        matte_photo(flat_image(400, 400))
    assert info.value.code == "no_face" and info.value.status == 422


def test_a_photo_with_two_people_is_rejected():
    rgb = shared_photo("faces/face_recognition/examples/two_people.jpg")
    with pytest.raises(PhotoRejected) as info:
        matte_photo(rgb)
    assert info.value.code == "multiple_faces"


def test_a_tiny_face_is_rejected_with_advice():
    low_resolution = np.ascontiguousarray(astronaut()[::3, ::3])  # the face is about 45 px tall
    with pytest.raises(PhotoRejected) as info:
        matte_photo(low_resolution)
    assert info.value.code == "face_too_small"


@pytest.mark.django_db
def test_the_result_is_the_person_on_the_colour_the_creation_names():
    photo = idphoto_generate(image=decoded(astronaut()), owner="me")
    result = np.asarray(Image.open(photo.output_image.open("rb")).convert("RGB")).astype(int)
    colour = np.array([int(photo.background_hex[i : i + 2], 16) for i in (1, 3, 5)])
    assert np.abs(result[5:40, 380:500] - colour).max() <= 6  # where the rocket's wall was
    assert np.abs(result[300:480, 80:300].mean(axis=(0, 1)) - astronaut()[300:480, 80:300].mean(axis=(0, 1))).max() < 6
    assert photo.engines["matting"] and photo.engines["background"]
    assert {"faces", "segmentation", "matting", "colour_analysis", "encode", "total"} <= set(photo.timings_ms)
    assert len(photo.candidates) >= 5 and photo.candidates[0]["hex"] == photo.background_hex


@pytest.mark.django_db
def test_the_cutout_is_transparent_where_the_background_was():
    photo = idphoto_generate(image=decoded(astronaut()), owner="me")
    cutout = np.asarray(Image.open(photo.cutout_image.open("rb")))
    assert cutout.shape == (512, 512, 4)
    assert cutout[5:40, 380:500, 3].max() < 30 and cutout[300:480, 80:300, 3].min() > 240


@pytest.mark.django_db
def test_choosing_a_colour_rerenders_and_records_the_choice():
    photo = idphoto_generate(image=decoded(astronaut()), owner="me")
    second = photo.candidates[1]["hex"]
    idphoto_choose_background(photo=photo, hex_colour=second)
    idphoto_choose_background(photo=photo, hex_colour="#123456")
    photo.refresh_from_db()
    assert photo.background_hex == "#123456" and photo.palette == "custom"
    result = np.asarray(Image.open(photo.output_image.open("rb")).convert("RGB")).astype(int)
    assert np.abs(result[5:40, 380:500] - np.array([0x12, 0x34, 0x56])).max() <= 6
    kinds = list(photo.choices.order_by("created_at").values_list("kind", "candidate_rank"))
    assert kinds == [("candidate", 1), ("custom", None)]


@pytest.mark.django_db
@pytest.mark.parametrize("key", list(ID_SIZES))
def test_every_id_size_is_its_size_at_300_dpi_with_no_exif(key):
    photo = idphoto_generate(image=decoded(astronaut()), owner="me")
    body = render_size(photo=photo, size=ID_SIZES[key])
    image = Image.open(io.BytesIO(body))
    assert image.size == (ID_SIZES[key].width_px, ID_SIZES[key].height_px)
    assert image.info["dpi"] == (300, 300)
    assert not image.getexif()
    sheet = Image.open(io.BytesIO(render_size(photo=photo, size=ID_SIZES[key], sheet=True)))
    assert sheet.size == (1800, 1200)
    geometry = FaceGeometry.from_dict(photo.geometry)
    assert geometry.eye_distance > 0
