from django.apps import AppConfig


class EmoticonConfig(AppConfig):
    name = "apps.emoticon"
    label = "emoticon"
    verbose_name = "Emoticon of you"

    def ready(self) -> None:
        from apps.core.jobs import register_generator

        from . import classifiers, ml
        from .services import emoticon_generate

        ml.register_models()
        classifiers.register_models()
        register_generator("emoticon", lambda image, owner, params: emoticon_generate(image=image, owner=owner))
