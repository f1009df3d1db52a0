from django.urls import path

from . import views

app_name = "emoticon"
urlpatterns = [
    path("", views.new, name="new"),
    path("camera/", views.camera, name="camera"),
    path("<str:token>/", views.result, name="result"),
    path("<str:token>/correct/", views.correct, name="correct"),
    path("<str:token>/stickers.zip", views.stickers, name="stickers"),
]
