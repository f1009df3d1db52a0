from django.apps import AppConfig


class EmoticonConfig(AppConfig):
    name = "apps.emoticon"
    label = "emoticon"
    verbose_name = "Emoticon of you"

    def ready(self) -> None:
        from . import classifiers, ml

        ml.register_models()
        classifiers.register_models()
