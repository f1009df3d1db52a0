"""Issue 7: every tool answers broken or hostile input with its documented 4xx and keeps nothing.

The files are in tests/bad_inputs/ (README.md there says what each is and the answer it gets). The API
answers ``{"error": {"code", "message"}}``; the pages answer a friendly page with the same message. A
refused request leaves no creation row and no media file. Tests marked ``models`` send the valid but
unusual files all the way through the real models; every other input here is refused before any model runs.
"""

from __future__ import annotations

import base64
import functools
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.html import escape
from PIL import Image

from apps.core.creations import creation_models
from apps.core.imageio import ImageInputError, decode_data_url, decode_image_bytes
from apps.core.intake import intake_limits

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).resolve().parent / "bad_inputs"


@dataclass(frozen=True)
class Endpoint:
    url: str
    fields: dict  # the tool's other fields, all valid, so that only the photo is wrong

    def __str__(self) -> str:
        return self.url


TOOLS = [  # the endpoints that make a creation
    Endpoint("/api/idphoto/", {}),
    Endpoint("/api/emoticon/", {}),
    Endpoint("/api/seasons/", {"direction": "summer2winter"}),
    Endpoint("/api/suit/", {"style": "navy-tie"}),
    Endpoint("/api/composition/", {}),
]
API = [*TOOLS, Endpoint("/api/seasons/guess", {})]  # guess keeps nothing, but reads the photo the same way
PAGES = [
    Endpoint("/idphoto/", {}),
    Endpoint("/emoticon/", {}),
    Endpoint("/seasons/", {"direction": "summer2winter"}),
    Endpoint("/suit/", {"style": "navy-tie"}),
    Endpoint("/composition/shots/", {}),
]

# How a file is sent: as a multipart file, as a data URL in a form field (the webcam capture), or as a
# data URL in a JSON body. A .txt file is a data URL already; any other file is wrapped in one.
UPLOAD, FORM_DATA_URL, JSON_DATA_URL = "upload", "form-data-url", "json-data-url"


# file -> {transport: (status, code)}, the documented answer whichever tool receives it.
BROKEN: dict[str, dict[str, tuple[int, str]]] = {
    "empty.jpg": dict.fromkeys((UPLOAD, FORM_DATA_URL, JSON_DATA_URL), (400, "empty")),
    "text.jpg": dict.fromkeys((UPLOAD, FORM_DATA_URL, JSON_DATA_URL), (415, "unsupported_format")),
    "truncated.jpg": dict.fromkeys((UPLOAD, FORM_DATA_URL, JSON_DATA_URL), (400, "corrupt")),
    "bomb.png": dict.fromkeys((UPLOAD, FORM_DATA_URL, JSON_DATA_URL), (413, "too_many_pixels")),
    "bomb_64mp.png": dict.fromkeys((UPLOAD, FORM_DATA_URL, JSON_DATA_URL), (413, "too_many_pixels")),
    "huge_header.jpg": dict.fromkeys((UPLOAD, FORM_DATA_URL, JSON_DATA_URL), (413, "too_many_pixels")),
    "one_pixel.png": dict.fromkeys((UPLOAD, FORM_DATA_URL, JSON_DATA_URL), (422, "too_small")),
    "animated.png": dict.fromkeys((UPLOAD, FORM_DATA_URL, JSON_DATA_URL), (415, "animated")),
    # A GIF is not a format emopic reads; its data URL (data:image/gif) is not one the intake accepts either.
    "animated.gif": {
        UPLOAD: (415, "unsupported_format"),
        FORM_DATA_URL: (400, "bad_data_url"),
        JSON_DATA_URL: (400, "bad_data_url"),
    },
    "bad_data_url.txt": {
        UPLOAD: (415, "unsupported_format"),
        FORM_DATA_URL: (400, "bad_data_url"),
        JSON_DATA_URL: (400, "bad_data_url"),
    },
    "short_ihdr.png": dict.fromkeys((UPLOAD, FORM_DATA_URL, JSON_DATA_URL), (400, "corrupt")),
    "exif_bad_tag.jpg": dict.fromkeys((UPLOAD, FORM_DATA_URL, JSON_DATA_URL), (400, "corrupt")),
}
KNOWN_BUGS: dict[str, str] = {}

# Valid but unusual: accepted, and seen upright.
VALID = ["cmyk.jpg", "grey.jpg", "grey16.png", *(f"exif_{orientation}.jpg" for orientation in range(1, 9))]

MIME = {".jpg": "image/jpeg", ".png": "image/png", ".gif": "image/gif"}


def corpus_bytes(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def as_data_url(name: str) -> str:
    if name.endswith(".txt"):
        return corpus_bytes(name).decode("ascii").strip()
    return f"data:{MIME[Path(name).suffix]};base64," + base64.b64encode(corpus_bytes(name)).decode("ascii")


def post(client: Client, endpoint: Endpoint, name: str, transport: str, **extra):
    if transport == UPLOAD:
        image = SimpleUploadedFile(name, corpus_bytes(name), MIME.get(Path(name).suffix, "image/jpeg"))
        return client.post(endpoint.url, {"image": image, **endpoint.fields, **extra})
    if transport == FORM_DATA_URL:
        return client.post(endpoint.url, {"image": as_data_url(name), **endpoint.fields, **extra})
    body = {"image": as_data_url(name), **endpoint.fields, **extra}
    return client.post(endpoint.url, json.dumps(body), content_type="application/json")


def decoder_error(name: str, transport: str) -> ImageInputError:
    """What the intake's decoder says about a file: the message the pages must show."""
    with pytest.raises(ImageInputError) as info:
        if transport == UPLOAD:
            decode_image_bytes(corpus_bytes(name), intake_limits())
        else:
            decode_data_url(as_data_url(name), intake_limits())
    return info.value


def broken_cases(transports: tuple[str, ...]) -> list:
    cases = []
    for name, answers in BROKEN.items():
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[name])] if name in KNOWN_BUGS else []
        for transport in transports:
            status, code = answers[transport]
            cases.append(pytest.param(name, transport, status, code, marks=marks, id=f"{name}-{transport}"))
    return cases


@functools.cache
def documented_statuses(url: str) -> set[int]:
    operation = Client().get("/api/openapi.json").json()["paths"][url]["post"]
    return {int(status) for status in operation["responses"]}


def assert_nothing_kept(settings) -> None:
    counts = {model._meta.label: model.objects.count() for model in creation_models()}
    assert counts == dict.fromkeys(counts, 0)
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or [path for path in media.rglob("*") if path.is_file()] == []


def assert_api_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code and error["message"]


def assert_friendly_page(response, status: int, message: str | None = None) -> None:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "<html" in page and 'role="alert"' in page
    if message is not None:
        assert escape(message) in page


# The corpus, file by file, on every tool.


@pytest.mark.parametrize("endpoint", API, ids=str)
@pytest.mark.parametrize("name,transport,status,code", broken_cases((UPLOAD, FORM_DATA_URL, JSON_DATA_URL)))
def test_it_answers_a_broken_file_with_its_documented_error_and_keeps_nothing(
    client, settings, endpoint, name, transport, status, code
):
    assert_api_error(post(client, endpoint, name, transport), status, code)
    assert_nothing_kept(settings)
    assert status in documented_statuses(endpoint.url)


@pytest.mark.parametrize("endpoint", PAGES, ids=str)
@pytest.mark.parametrize("name,transport,status,code", broken_cases((UPLOAD, FORM_DATA_URL)))
def test_a_page_answers_a_broken_file_with_a_friendly_page_and_keeps_nothing(
    client, settings, endpoint, name, transport, status, code
):
    error = decoder_error(name, transport)
    assert (error.status, error.code) == (status, code)
    assert_friendly_page(post(client, endpoint, name, transport), status, error.message)
    assert_nothing_kept(settings)


def test_the_corpus_lists_every_file_in_the_folder():
    on_disk = {path.name for path in CORPUS.iterdir() if path.suffix not in (".py", ".md")}
    assert on_disk == set(BROKEN) | set(VALID)


def is_upright(rgb: np.ndarray) -> bool:
    """The portrait's markers, compared in luminance so that greyscale copies pass too: a red band along the
    top edge (luma 76) and, over it, a blue square in the top-left corner only (luma 29)."""
    luma = rgb.astype(float) @ [0.299, 0.587, 0.114]
    height, width = luma.shape
    band = luma[: int(height * 0.02), int(width * 0.15) :]
    square = luma[: int(height * 0.02), : int(width * 0.06)]
    return bool(
        height > width
        and abs(band.mean() - 76) < 12
        and band.std() < 12
        and abs(square.mean() - 29) < 12
        and square.std() < 12
    )


@pytest.mark.parametrize("orientation", range(2, 9))
def test_the_markers_tell_that_a_file_ignoring_its_orientation_tag_is_not_upright(orientation):
    # The files hold the pixels as a camera would: only honouring the EXIF tag puts them upright.
    raw = np.asarray(Image.open(CORPUS / f"exif_{orientation}.jpg").convert("RGB"))
    assert not is_upright(raw)


@pytest.mark.parametrize("name", VALID)
def test_the_intake_accepts_every_valid_but_unusual_file_upright(name):
    upload = decode_image_bytes(corpus_bytes(name), intake_limits())
    webcam = decode_data_url(as_data_url(name), intake_limits())
    assert upload.rgb.shape == webcam.rgb.shape == (300, 240, 3)
    assert is_upright(upload.rgb) and np.array_equal(upload.rgb, webcam.rgb)


@pytest.mark.models
@pytest.mark.parametrize("endpoint", TOOLS, ids=str)
@pytest.mark.parametrize("name", VALID)
def test_every_tool_accepts_a_valid_but_unusual_file_and_keeps_it_upright(client, endpoint, name):
    response = post(client, endpoint, name, UPLOAD)
    assert response.status_code == 201, response.content[:300]
    [creation] = [creation for model in creation_models() for creation in model.objects.all()]
    with creation.input_image.open("rb") as stored:
        assert is_upright(np.asarray(Image.open(io.BytesIO(stored.read())).convert("RGB")))


# The photo's field and the tools' other fields.


@pytest.mark.parametrize("endpoint", API, ids=str)
@pytest.mark.parametrize("transport", [UPLOAD, JSON_DATA_URL])
def test_a_photo_under_another_field_name_is_a_400_missing_image(client, settings, endpoint, transport):
    if transport == UPLOAD:
        response = client.post(endpoint.url, {"photo": SimpleUploadedFile("me.jpg", corpus_bytes("exif_1.jpg")),
                                              **endpoint.fields})  # fmt: skip
    else:
        body = {"photo": as_data_url("exif_1.jpg"), **endpoint.fields}
        response = client.post(endpoint.url, json.dumps(body), content_type="application/json")
    assert_api_error(response, 400, "missing_image")
    assert "'image'" in response.json()["error"]["message"]
    assert_nothing_kept(settings)


@pytest.mark.parametrize("endpoint", PAGES, ids=str)
def test_a_page_posted_without_a_photo_says_so(client, settings, endpoint):
    response = client.post(endpoint.url, {"photo": SimpleUploadedFile("me.jpg", corpus_bytes("exif_1.jpg")),
                                          **endpoint.fields})  # fmt: skip
    assert_friendly_page(response, 400, "No photo was sent")
    assert_nothing_kept(settings)


@pytest.mark.parametrize("endpoint", API, ids=str)
@pytest.mark.parametrize("image", [5, ["data:image/png;base64,AAAA"], {"data": "x"}, "", None])
def test_a_json_image_that_is_not_a_data_url_string_is_a_400_missing_image(client, settings, endpoint, image):
    body = json.dumps({"image": image, **endpoint.fields})
    assert_api_error(client.post(endpoint.url, body, content_type="application/json"), 400, "missing_image")
    assert_nothing_kept(settings)


WRONG_CHOICES = [
    pytest.param("/api/seasons/", {"direction": "winter2autumn"}, 422, "unknown_direction", id="direction"),
    pytest.param("/api/seasons/", {}, 422, "unknown_direction", id="no-direction"),
    pytest.param("/api/seasons/", {"direction": "summer2winter", "crop": "{x: 0"}, 422, "bad_crop", id="crop-json"),
    pytest.param("/api/seasons/", {"direction": "summer2winter", "crop": '{"x": 0}'}, 422, "bad_crop", id="crop-part"),
    pytest.param(
        "/api/seasons/",
        {"direction": "summer2winter", "crop": '{"x": "a", "y": 0, "size": 99}'},
        422,
        "bad_crop",
        id="crop-type",
    ),  # fmt: skip
    pytest.param(
        "/api/seasons/",
        {"direction": "summer2winter", "crop": '{"x": 1e40, "y": 0, "size": 99}'},
        422,
        "bad_crop",
        id="crop-float",
    ),  # fmt: skip
    pytest.param(
        "/api/seasons/",
        {"direction": "summer2winter", "crop": '{"x": 200, "y": 0, "size": 100}'},
        422,
        "crop_outside_image",
        id="crop-outside",
    ),  # fmt: skip
    pytest.param(
        "/api/seasons/",
        {"direction": "summer2winter", "crop": '{"x": 0, "y": 0, "size": 10}'},
        422,
        "crop_too_small",
        id="crop-small",
    ),  # fmt: skip
    pytest.param("/api/suit/", {"style": "pink-tutu"}, 422, "unknown_style", id="style"),
    pytest.param("/api/suit/", {}, 422, "unknown_style", id="no-style"),
    pytest.param("/api/suit/", {"style": "navy-tie", "size": "10x10"}, 422, "unknown_size", id="size"),
    pytest.param("/api/suit/", {"style": "navy-tie", "background": "red"}, 422, "bad_background", id="background"),
    pytest.param("/api/composition/", {"profile": "selfie-stick"}, 422, "unknown_profile", id="profile"),
    pytest.param("/api/composition/", {"profile": "mine-1"}, 422, "unknown_profile", id="someone-elses-profile"),
    pytest.param("/api/composition/", {"profile": "mine-" + "9" * 30}, 422, "unknown_profile", id="profile-overflow"),
]


@pytest.mark.parametrize("transport", [UPLOAD, JSON_DATA_URL])
@pytest.mark.parametrize("url,fields,status,code", WRONG_CHOICES)
def test_a_wrong_choice_is_a_422_with_its_code_before_any_model_runs(
    client, settings, transport, url, fields, status, code
):
    response = post(client, Endpoint(url, {}), "exif_1.jpg", transport, **fields)
    assert_api_error(response, status, code)
    assert_nothing_kept(settings)


@pytest.mark.parametrize(
    "url,fields,message",
    [
        ("/seasons/", {"direction": "winter2autumn"}, "Unknown direction 'winter2autumn'"),
        ("/suit/", {"style": "pink-tutu"}, "style: Select a valid choice."),
        ("/composition/shots/", {"profile": "selfie-stick"}, "Unknown profile 'selfie-stick'"),
    ],
)
def test_a_page_answers_a_wrong_choice_with_a_friendly_422(client, settings, url, fields, message):
    response = post(client, Endpoint(url, {}), "exif_1.jpg", UPLOAD, **fields)
    assert_friendly_page(response, 422, message)
    assert_nothing_kept(settings)


# Bodies that are not what the API reads.


@functools.cache
def huge_data_url(payload_chars: int) -> str:
    return "data:image/jpeg;base64," + "A" * payload_chars


@pytest.mark.parametrize("endpoint", API, ids=str)
@pytest.mark.parametrize("over", ["image-limit", "body-limit"])
def test_a_huge_base64_json_body_is_a_413(client, settings, endpoint, over):
    # Just over the image limit once decoded, but under Django's body cap; or over the body cap itself.
    limit = settings.EMOPIC_MAX_IMAGE_BYTES * 4 // 3
    chars = limit + 1024 if over == "image-limit" else settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024
    body = json.dumps({"image": huge_data_url(chars), **endpoint.fields})
    assert_api_error(client.post(endpoint.url, body, content_type="application/json"), 413, "too_large")
    assert_nothing_kept(settings)


@pytest.mark.parametrize("endpoint", PAGES, ids=str)
def test_a_page_answers_a_huge_webcam_capture_with_a_friendly_413(client, settings, endpoint):
    chars = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024
    response = client.post(endpoint.url, {"image": huge_data_url(chars), **endpoint.fields})
    assert_friendly_page(response, 413)
    assert_nothing_kept(settings)


def test_a_page_answers_a_huge_webcam_capture_with_a_friendly_413_with_csrf_checks_on(settings):
    browser = Client(enforce_csrf_checks=True)
    browser.get("/idphoto/")
    token = browser.cookies["csrftoken"].value
    chars = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024
    response = browser.post("/idphoto/", {"image": huge_data_url(chars)}, headers={"X-CSRFToken": token})
    assert_friendly_page(response, 413)


MALFORMED_DATA_URLS = [
    "data:text/plain;base64,aGVsbG8=",
    "data:image/png,notbase64",
    "image/png;base64,iVBORw0KGgo=",
    "data:image/png;base64,iVBORw0KGgo=!",
    "data:image/png;base64,ünïcödé",
    "data:image/png;base64,A",
]


@pytest.mark.parametrize("endpoint", API, ids=str)
@pytest.mark.parametrize("text", MALFORMED_DATA_URLS)
def test_a_malformed_data_url_in_json_is_a_400(client, settings, endpoint, text):
    body = json.dumps({"image": text, **endpoint.fields})
    assert_api_error(client.post(endpoint.url, body, content_type="application/json"), 400, "bad_data_url")
    assert_nothing_kept(settings)


@pytest.mark.parametrize("endpoint", API, ids=str)
@pytest.mark.parametrize("body", [b"[]", b'"data:image/png;base64,AAAA"', b"null", b"42", b"{not json", b"\xff\xfe{}"])
def test_json_that_is_not_an_object_is_a_400_bad_json(client, settings, endpoint, body):
    assert_api_error(client.post(endpoint.url, body, content_type="application/json"), 400, "bad_json")
    assert_nothing_kept(settings)


@pytest.mark.parametrize("endpoint", API, ids=str)
def test_deeply_nested_json_is_a_400_bad_json(client, settings, endpoint):
    body = "[" * 100_000 + "]" * 100_000  # 200 kB, far under the body limit
    assert_api_error(client.post(endpoint.url, body, content_type="application/json"), 400, "bad_json")
    assert_nothing_kept(settings)


@pytest.mark.parametrize("endpoint", API, ids=str)
def test_a_multipart_body_without_a_boundary_is_a_json_400(client, settings, endpoint):
    response = client.post(endpoint.url, b"--x\r\n\r\n", content_type="multipart/form-data")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"]


@pytest.mark.parametrize(
    "url,body",
    [("/api/idphoto/nope/background", {"colour": 5}), ("/api/suit/nope/refit", {"lift": "high"})],
)
def test_a_mistyped_json_field_on_a_follow_up_endpoint_is_a_documented_422(client, url, body):
    response = client.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"]["code"]


# Methods.


@pytest.mark.parametrize("endpoint", API, ids=str)
@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_the_api_refuses_other_methods_than_post_with_a_405(client, endpoint, method):
    response = getattr(client, method)(endpoint.url)
    assert response.status_code == 405
    assert "POST" in response["Allow"]


@pytest.mark.parametrize("endpoint", API, ids=str)
def test_the_api_answers_a_405_with_a_json_error(client, endpoint):
    response = client.get(endpoint.url)
    assert_api_error(response, 405, "method_not_allowed")
    assert "POST" in response["Allow"]


@pytest.mark.parametrize(
    "method,url",
    [("get", "/composition/shots/"), ("put", "/idphoto/"), ("delete", "/emoticon/"), ("put", "/seasons/"),
     ("patch", "/suit/")],
)  # fmt: skip
def test_pages_refuse_methods_they_do_not_take_with_a_405(client, method, url):
    assert getattr(client, method)(url).status_code == 405
