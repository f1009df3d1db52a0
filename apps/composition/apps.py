from django.apps import AppConfig


class CompositionConfig(AppConfig):
    name = "apps.composition"
    label = "composition"
    verbose_name = "Composition coach"
