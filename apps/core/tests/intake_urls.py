"""A URLconf for the intake tests: one page view and one API-style view that echo the decoded image."""

from django.http import JsonResponse
from django.urls import path


def echo(request):
    image = request.image_intake.get()
    return JsonResponse({"shape": list(image.rgb.shape), "format": image.format, "source": image.source})


urlpatterns = [path("page/", echo), path("api/echo/", echo)]
