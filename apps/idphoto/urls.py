from django.urls import path

from . import views

app_name = "idphoto"
urlpatterns = [
    path("", views.new, name="new"),
    path("<str:token>/", views.result, name="result"),
    path("<str:token>/background/", views.choose_background, name="choose_background"),
    path("<str:token>/size/<str:size_key>.jpg", views.download_size, name="size"),
    path("<str:token>/sheet/<str:size_key>.jpg", views.download_size, {"sheet": True}, name="sheet"),
]
