from django.apps import AppConfig


class SeasonsConfig(AppConfig):
    name = "apps.seasons"
    label = "seasons"
    verbose_name = "Seasons"

    def ready(self) -> None:
        from . import cyclegan, rdn

        cyclegan.register_models()
        rdn.register_models()
