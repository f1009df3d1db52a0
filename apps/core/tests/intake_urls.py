"""A URLconf for the intake tests: one page view and one API-style view that echo the decoded image."""

from django.http import JsonResponse
from django.urls import path

from emopic.urls import urlpatterns as site_urlpatterns


def echo(request):
    image = request.image_intake.get()
    return JsonResponse({"shape": list(image.rgb.shape), "format": image.format, "source": image.source})


# The site's own routes stay, so error pages can render the base layout's links.
urlpatterns = [path("page/", echo), path("api/echo/", echo), *site_urlpatterns]
