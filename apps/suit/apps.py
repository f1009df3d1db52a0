from django.apps import AppConfig


class SuitConfig(AppConfig):
    name = "apps.suit"
    label = "suit"
    verbose_name = "Suit"

    def ready(self) -> None:
        from . import ml

        ml.register_models()
