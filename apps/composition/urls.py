from django.urls import path

from . import views

app_name = "composition"
urlpatterns = [
    path("", views.coach, name="new"),
    path("shots/", views.shoot, name="shoot"),
    path("shots/<str:token>/", views.result, name="result"),
    path("profiles/", views.profiles, name="profiles"),
    path("profiles/<int:pk>/", views.profile, name="profile"),
    path("profiles/<int:pk>/delete/", views.profile_delete, name="profile_delete"),
]
