"""The site switches to the trained U-Net face parser when its weights exist, and says so."""

from __future__ import annotations

import pytest

from apps.core import ml as registry
from apps.core.imageio import DecodedImage
from apps.suit import unet
from apps.suit.services import ENGINE_PARSING, ENGINE_PARSING_UNET, suit_generate
from tests.images import astronaut

pytestmark = [pytest.mark.models, pytest.mark.django_db]


@pytest.fixture
def models_dir(settings, tmp_path):
    settings.ML_MODELS_DIR = tmp_path / "ml_models"
    original = registry.get_spec(unet.FACE_PARSER)
    registry.forget_loaded()
    unet.register_models()
    yield settings.ML_MODELS_DIR
    registry.forget_loaded()
    registry.register(original)


def generate() -> dict[str, str]:
    image = DecodedImage(rgb=astronaut(), format="jpeg", source="upload")
    return suit_generate(image=image, owner="someone", style="navy-tie").engines


def test_without_weights_the_mesh_and_colour_parser_is_used(models_dir):
    assert generate()["parsing"] == ENGINE_PARSING


def test_an_exported_unet_is_picked_up_and_named(models_dir):
    unet.face_parser_path().parent.mkdir(parents=True)
    unet.build_unet(32, (4, 8, 16, 32, 64)).save(unet.face_parser_path())

    assert generate()["parsing"] == ENGINE_PARSING_UNET


def test_a_corrupt_weights_file_falls_back_to_the_mesh_parser(models_dir):
    unet.face_parser_path().parent.mkdir(parents=True)
    unet.face_parser_path().write_bytes(b"not a keras file")

    assert generate()["parsing"] == ENGINE_PARSING
