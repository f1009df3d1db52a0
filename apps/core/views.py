from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .creations import creations_of


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


@require_GET
def my_creations(request: HttpRequest) -> HttpResponse:
    creations = creations_of(request.session.session_key or "")
    return render(request, "core/my_creations.html", {"creations": creations})
