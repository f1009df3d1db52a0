from django.apps import AppConfig


class IdphotoConfig(AppConfig):
    name = "apps.idphoto"
    label = "idphoto"
    verbose_name = "Emotional ID photo"

    def ready(self) -> None:
        from apps.core.jobs import register_generator

        from . import ml
        from .services import idphoto_generate

        ml.register_models()
        register_generator("idphoto", lambda image, owner, params: idphoto_generate(image=image, owner=owner))
