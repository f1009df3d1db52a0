from django.urls import path

from . import views

app_name = "seasons"
urlpatterns = [
    path("", views.new, name="new"),
    path("<str:token>/", views.result, name="result"),
]
