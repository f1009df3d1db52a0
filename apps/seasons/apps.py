from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import AppConfig

if TYPE_CHECKING:
    from apps.core.imageio import DecodedImage


def generate_seasons(image: DecodedImage, owner: str, params: dict[str, Any]) -> Any:
    """The job form of seasons_generate: the crop travels as a dict."""
    from .services import Crop, seasons_generate

    crop = Crop(**params["crop"]) if params.get("crop") else None
    return seasons_generate(image=image, direction=params["direction"], crop=crop, owner=owner)


class SeasonsConfig(AppConfig):
    name = "apps.seasons"
    label = "seasons"
    verbose_name = "Seasons"

    def ready(self) -> None:
        from apps.core.jobs import register_generator

        from . import cyclegan, rdn

        cyclegan.register_models()
        rdn.register_models()
        register_generator("seasons", generate_seasons)
