"""Issue 7, fuzzed: the intake refuses any bytes or text clearly, and the API keeps to its OpenAPI document.

(a) Hypothesis properties of the decoder, with the site's real limits: whatever arrives, the answer is an
    RGB image or an ``ImageInputError`` with a documented status, never another exception (a 500).
(b) Schemathesis against /api/openapi.json through Django's WSGI app, in-process: every operation, fuzzed,
    answers no 5xx, and each documented status with the documented body.

Both are bounded and derandomised, so a run is repeatable and takes seconds.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from apps.core.creations import creation_models
from apps.core.imageio import DecodedImage, ImageInputError, decode_data_url, decode_image_bytes
from apps.core.intake import intake_limits
from tests.images import data_url, encode

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
DOCUMENTED_STATUSES = {400, 413, 415, 422}
INTAKE_CODES = {
    "empty",
    "too_large",
    "unsupported_format",
    "too_many_pixels",
    "corrupt",
    "too_small",
    "animated",
    "bad_data_url",
}

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def noise(width: int, height: int) -> np.ndarray:
    return np.random.default_rng(7).integers(0, 256, (height, width, 3), dtype=np.uint8)


def exif_jpeg() -> bytes:
    image = Image.fromarray(noise(96, 72))
    exif = image.getexif()
    exif[0x0112] = 6  # rotate to display
    exif[0x010F] = "emopic"  # Make: a second tag, ASCII
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


# Small valid photos of every accepted kind, over the 64-pixel minimum side.
VALID = {
    "jpeg": encode(noise(96, 72), "JPEG"),
    "progressive-jpeg": encode(noise(96, 72), "JPEG", progressive=True),
    "exif-jpeg": exif_jpeg(),
    "png": encode(noise(96, 72), "PNG"),
    "rgba-png": encode(np.dstack([noise(96, 72), noise(96, 72)[:, :, :1]]), "PNG"),
    "webp": encode(noise(96, 72), "WEBP"),
    "lossless-webp": encode(noise(96, 72), "WEBP", lossless=True),
}
MAGIC = [b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\x00\x00\x00\x00WEBPVP8 "]
DATA_URL_PREFIXES = ["data:image/png;base64,", "data:image/JPEG;base64,", " data:image/webp;base64,"]

# Bytes, and bytes that start like a JPEG, PNG or WebP so that they get past the sniffing into Pillow.
any_bytes = st.binary(max_size=4096)
sniffable_bytes = st.builds(bytes.__add__, st.sampled_from(MAGIC), st.binary(max_size=4096))
# Text, text after a valid data-URL prefix, and valid base64 of (sniffable) bytes after one.
any_text = st.text(max_size=2000)
text_after_a_prefix = st.builds(str.__add__, st.sampled_from(DATA_URL_PREFIXES), st.text(max_size=2000))
base64_after_a_prefix = st.builds(
    lambda prefix, data: prefix + base64.b64encode(data).decode("ascii"),
    st.sampled_from(DATA_URL_PREFIXES),
    st.one_of(st.binary(max_size=2000), sniffable_bytes),
)


def decode_or_refuse(data: bytes) -> DecodedImage | None:
    """The decoder's answer: an RGB image, or None after checking the refusal is a clear one."""
    try:
        decoded = decode_image_bytes(data, intake_limits())
    except ImageInputError as error:
        assert_clear(error)
        return None
    assert_rgb(decoded)
    return decoded


def assert_clear(error: ImageInputError) -> None:
    assert error.status in DOCUMENTED_STATUSES
    assert error.code in INTAKE_CODES
    assert error.message and error.to_json()["error"]["code"] == error.code


def assert_rgb(decoded: DecodedImage) -> None:
    rgb = decoded.rgb
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3 and rgb.flags.c_contiguous
    assert min(rgb.shape[:2]) >= intake_limits().min_side


# (a) The decoder.


@FUZZ
@given(st.one_of(any_bytes, sniffable_bytes))
def test_arbitrary_bytes_are_refused_clearly(data):
    decode_or_refuse(data)


@FUZZ
@given(st.one_of(any_text, text_after_a_prefix, base64_after_a_prefix))
def test_arbitrary_text_as_a_data_url_is_refused_clearly(text):
    try:
        decoded = decode_data_url(text, intake_limits())
    except ImageInputError as error:
        assert_clear(error)
    else:
        assert_rgb(decoded)


@FUZZ
@given(st.sampled_from(sorted(VALID)), st.binary(min_size=1, max_size=1024))
def test_a_photo_with_trailing_garbage_decodes_to_the_same_pixels_or_is_refused_clearly(kind, garbage):
    clean = decode_or_refuse(VALID[kind])
    garbled = decode_or_refuse(VALID[kind] + garbage)
    assert clean is not None
    if garbled is not None:
        assert np.array_equal(garbled.rgb, clean.rgb)


@FUZZ
@given(st.sampled_from(sorted(VALID)), st.binary(min_size=1, max_size=1024))
def test_a_photo_with_leading_garbage_is_refused_clearly_or_decodes_cleanly(kind, garbage):
    decode_or_refuse(garbage + VALID[kind])


@FUZZ
@given(st.sampled_from(sorted(VALID)), st.data())
def test_a_damaged_photo_is_refused_clearly_or_decodes_cleanly(kind, data):
    damaged = bytearray(VALID[kind])
    for _ in range(data.draw(st.integers(1, 6), label="damaged bytes")):
        # Mostly in the first 512 bytes: headers, chunk lengths and EXIF are where parsers trip.
        position = data.draw(st.one_of(st.integers(0, 511), st.integers(0, len(damaged) - 1)), label="position")
        damaged[position] = data.draw(st.integers(0, 255), label="value")
    cut = data.draw(st.integers(len(damaged) // 2, len(damaged)), label="kept length")
    decode_or_refuse(bytes(damaged[:cut]))


# Each failure that fuzzing found, kept as its smallest case.


def test_a_png_with_a_short_header_chunk_is_refused_clearly():
    png = VALID["png"]
    decode_or_refuse(png[:11] + b"\x0b" + png[12:])


def test_an_animated_png_with_a_short_animation_chunk_is_refused_clearly():
    apng = (CORPUS / "animated.png").read_bytes()
    at = apng.index(b"acTL") - 4
    decode_or_refuse(apng[:at] + b"\0\0\0\x04" + apng[at + 4 :])


@pytest.mark.parametrize(
    "tag", [pytest.param(0x0100, id="ImageWidth-a-LONG"), pytest.param(0x011A, id="XResolution-a-RATIONAL")]
)
def test_a_jpeg_with_a_mistyped_exif_tag_is_refused_clearly_or_decodes(tag):
    jpeg = bytearray(VALID["exif-jpeg"])
    make = jpeg.index(b"\x01\x0f\x00\x02")  # the Make tag's entry: id 0x010F, type 2 (ASCII), big-endian
    jpeg[make : make + 2] = tag.to_bytes(2, "big")
    decode_or_refuse(bytes(jpeg))


# (b) The OpenAPI document, fuzzed.


SCHEMA = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
# The photo endpoints, which take the multipart or JSON photo, and the follow-ups that take an earlier id.
PHOTO_OPERATIONS = SCHEMA.include(method="POST").exclude(path_regex=r"\{token\}")
FOLLOW_UP_OPERATIONS = SCHEMA.include(path_regex=r"\{token\}")
API_FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(autouse=True)
def _requests_keep_the_test_transaction():
    """The WSGI handler closes old connections after each request; inside the test's transaction that
    would drop it. Django's test client disconnects the same signal for the same reason."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def creation_count() -> int:
    return sum(model.objects.count() for model in creation_models())


@pytest.mark.django_db
@API_FUZZ
@PHOTO_OPERATIONS.parametrize()
def test_every_photo_endpoint_refuses_fuzzed_input_as_documented_and_keeps_nothing(case):
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])
    assert creation_count() == 0


@pytest.mark.django_db
@API_FUZZ
@FOLLOW_UP_OPERATIONS.parametrize()
def test_every_follow_up_endpoint_survives_fuzzed_input(case):
    case.call_and_validate(checks=[not_a_server_error])


@pytest.mark.django_db
@API_FUZZ
@FOLLOW_UP_OPERATIONS.parametrize()
def test_every_follow_up_endpoint_answers_within_its_documented_schema(case):
    case.call_and_validate(checks=[response_schema_conformance])


@pytest.mark.models
@pytest.mark.django_db
@settings(API_FUZZ, max_examples=10)
@PHOTO_OPERATIONS.parametrize()
def test_every_photo_endpoint_answers_a_real_photo_with_fuzzed_fields_as_documented(case):
    """The photo is a real portrait; the tool's other fields are fuzzed, so the models run on some cases."""
    portrait = (CORPUS / "exif_1.jpg").read_bytes()
    if isinstance(case.body, dict) and "image" in case.body:
        case.body["image"] = portrait if case.media_type.startswith("multipart/") else data_url(portrait)
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])
