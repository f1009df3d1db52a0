from django.urls import path

from . import views

app_name = "suit"
urlpatterns = [
    path("", views.new, name="new"),
    path("styles/<str:style>.png", views.style_preview, name="style_preview"),
    path("<str:token>/", views.result, name="result"),
    path("<str:token>/refit/", views.refit, name="refit"),
    path("<str:token>/size/<str:size_key>.jpg", views.download_size, name="size"),
    path("<str:token>/sheet/<str:size_key>.jpg", views.download_size, {"sheet": True}, name="sheet"),
]
