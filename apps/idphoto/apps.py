from django.apps import AppConfig


class IdphotoConfig(AppConfig):
    name = "apps.idphoto"
    label = "idphoto"
    verbose_name = "Emotional ID photo"

    def ready(self) -> None:
        from . import ml

        ml.register_models()
