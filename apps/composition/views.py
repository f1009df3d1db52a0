from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core.imageio import ImageInputError
from apps.core.intake import wants_json
from apps.core.ml import ModelUnavailable
from apps.core.services import CreationNotSaved, session_owner

from .forms import ProfileCreateForm, ProfileEditForm, ShotForm
from .models import CompositionProfile, CompositionShot
from .pipeline.profiles import DEFAULT_PROFILE
from .services import (
    composition_profile_create,
    composition_profile_update,
    composition_shoot,
    profile_choices,
    resolve_profile,
    stored_profile,
)


def _coach_context(request: HttpRequest, chosen: str | None = None, error: str | None = None) -> dict:
    owner = request.session.session_key or ""
    profiles = profile_choices(owner)
    wanted = chosen or request.GET.get("profile") or request.POST.get("profile")
    # A stale or foreign ?profile= falls back to the default look rather than failing later.
    known = {profile.key for profile in profiles}
    return {"profiles": profiles, "chosen": wanted if wanted in known else DEFAULT_PROFILE, "error": error}


@require_GET
def coach(request: HttpRequest) -> HttpResponse:
    session_owner(request)  # the socket finds the visitor's own profiles through the session
    return render(request, "composition/coach.html", _coach_context(request))


@require_POST
def shoot(request: HttpRequest) -> HttpResponse:
    """A photo from the coach (automatic or shutter) or an upload: analysed, kept, shown."""
    form = ShotForm(request.POST)
    form.is_valid()  # both fields are optional and fall back to defaults
    owner = session_owner(request)
    try:
        profile = resolve_profile(form.cleaned_data.get("profile"), owner)
        shot = composition_shoot(image=request.image_intake.get(), owner=owner, profile=profile,
                                 trigger=form.cleaned_data.get("trigger") or CompositionShot.Trigger.UPLOAD)  # fmt: skip
    except ImageInputError as error:
        if wants_json(request):
            return JsonResponse(error.to_json(), status=error.status)
        return render(request, "composition/coach.html", _coach_context(request, error=error.message),
                      status=error.status)  # fmt: skip
    except (ModelUnavailable, CreationNotSaved) as error:
        if wants_json(request):
            return JsonResponse({"error": {"code": "unavailable", "message": str(error)}}, status=503)
        return render(request, "composition/coach.html", _coach_context(request, error=str(error)), status=503)
    if wants_json(request):
        return JsonResponse({"id": shot.token, "url": shot.get_absolute_url()}, status=201)
    return redirect(shot)


@require_GET
def result(request: HttpRequest, token: str) -> HttpResponse:
    shot = get_object_or_404(CompositionShot, token=token, owner_session=request.session.session_key or "-")
    return render(request, "composition/result.html", {"shot": shot, "analysis": shot.analysis})


def _own_profile(request: HttpRequest, pk: int) -> CompositionProfile:
    return get_object_or_404(CompositionProfile, pk=pk, owner_session=request.session.session_key or "-")


def _profiles_context(request: HttpRequest, form: ProfileCreateForm | None = None, error: str | None = None) -> dict:
    owner = request.session.session_key or ""
    mine = CompositionProfile.objects.filter(owner_session=owner) if owner else CompositionProfile.objects.none()
    return {"built_in": [p for p in profile_choices("") if not p.key.startswith("mine-")], "mine": mine,
            "form": form or ProfileCreateForm(), "error": error}  # fmt: skip


@require_http_methods(["GET", "POST"])
def profiles(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "composition/profiles.html", _profiles_context(request))
    form = ProfileCreateForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "composition/profiles.html", _profiles_context(request, form), status=422)
    try:
        created = composition_profile_create(images=form.references(), owner=session_owner(request),
                                             name=form.cleaned_data["name"])  # fmt: skip
    except ImageInputError as error:
        return render(request, "composition/profiles.html", _profiles_context(request, form, error.message),
                      status=error.status)  # fmt: skip
    return redirect(created)


@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest, pk: int) -> HttpResponse:
    stored = _own_profile(request, pk)
    if request.method == "GET":
        values = {"name": stored.name, **stored_profile(stored).to_dict()}
        return render(request, "composition/profile.html", {"profile": stored, "form": ProfileEditForm(initial=values)})
    form = ProfileEditForm(request.POST)
    if not form.is_valid():
        return render(request, "composition/profile.html", {"profile": stored, "form": form}, status=422)
    composition_profile_update(profile=stored, name=form.cleaned_data["name"], targets=form.targets())
    return redirect(stored)


@require_POST
def profile_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _own_profile(request, pk).delete()
    return redirect("composition:profiles")
