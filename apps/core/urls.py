from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("mine/", views.my_creations, name="my_creations"),
    path("jobs/<str:token>/", views.job, name="job"),
]
