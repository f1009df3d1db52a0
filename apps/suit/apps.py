from django.apps import AppConfig


class SuitConfig(AppConfig):
    name = "apps.suit"
    label = "suit"
    verbose_name = "Suit"

    def ready(self) -> None:
        from apps.core.jobs import register_generator

        from . import ml
        from .services import suit_generate

        ml.register_models()
        register_generator("suit", lambda image, owner, params: suit_generate(image=image, owner=owner, **params))
