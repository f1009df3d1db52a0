from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from apps.core.api import api

urlpatterns = [
    path("", include("apps.core.urls")),
    path("idphoto/", include("apps.idphoto.urls")),
    path("emoticon/", include("apps.emoticon.urls")),
    path("seasons/", include("apps.seasons.urls")),
    path("suit/", include("apps.suit.urls")),
    path("composition/", include("apps.composition.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]

# Django refuses some requests before any view runs: a page form's body over the size cap is read by the
# CSRF check first. This says so plainly (413 "too large") instead of Django's bare "Bad Request (400)".
handler400 = "apps.core.views.bad_request"

if settings.DEBUG or not settings.STORAGES["default"]["BACKEND"].endswith("S3Storage"):
    # Media are served by Django only for the local-disk default; behind a real
    # deployment the object store or the front web server serves them.
    from django.views.static import serve

    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
