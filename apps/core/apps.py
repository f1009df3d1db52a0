from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "emopic"

    def ready(self) -> None:
        from . import body_models, face_models

        body_models.register_models()
        face_models.register_models()
