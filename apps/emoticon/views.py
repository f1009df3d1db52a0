from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core.imageio import ImageInputError
from apps.core.jobs import generate
from apps.core.ml import ModelUnavailable
from apps.core.services import CreationNotSaved, session_owner

from .forms import CorrectionForm
from .models import Emoticon
from .pipeline.types import EMOTIONS, MONK_SCALE
from .services import emoticon_correct, emoticon_sticker_pack


def _own(request: HttpRequest, token: str) -> Emoticon:
    return get_object_or_404(Emoticon, token=token, owner_session=request.session.session_key or "-")


def _make(request: HttpRequest, template: str) -> HttpResponse:
    if request.method == "GET":
        return render(request, template)
    try:
        made = generate("emoticon", image=request.image_intake.get(), owner=session_owner(request))
    except ImageInputError as error:
        context = {"error": error.message, "faces": error.details.get("faces", [])}
        return render(request, template, context, status=error.status)
    except (ModelUnavailable, CreationNotSaved) as error:
        return render(request, template, {"error": str(error)}, status=503)
    return redirect(made)  # the result, or the page that waits for a queued job


@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    return _make(request, "emoticon/new.html")


@require_http_methods(["GET", "POST"])
def camera(request: HttpRequest) -> HttpResponse:
    return _make(request, "emoticon/camera.html")


def result_context(emoticon: Emoticon, form: CorrectionForm | None = None) -> dict:
    spec = emoticon.spec
    initial = {
        "emotion": spec["emotion"],
        "mask": "yes" if spec["mask"] else "no",
        "glasses": spec["glasses"],
        "frame_shape": spec["frame_shape"],
        "hair_hex": spec.get("hair_hex") or "",
    }
    scores = sorted(emoticon.emotion_scores.items(), key=lambda item: item[1], reverse=True)
    return {
        "emoticon": emoticon,
        "form": form or CorrectionForm(initial=initial),
        "scores": [{"label": label, "percent": round(value * 100, 1)} for label, value in scores],
        "emotions": EMOTIONS,
        "monk_scale": [{"step": i + 1, "hex": hex_} for i, hex_ in enumerate(MONK_SCALE)],
    }


@require_GET
def result(request: HttpRequest, token: str) -> HttpResponse:
    return render(request, "emoticon/result.html", result_context(_own(request, token)))


@require_POST
def correct(request: HttpRequest, token: str) -> HttpResponse:
    emoticon = _own(request, token)
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        return render(request, "emoticon/result.html", result_context(emoticon, form), status=422)
    changes = form.corrections(emoticon.spec)
    if changes:
        try:
            emoticon_correct(emoticon=emoticon, corrections=changes)
        except CreationNotSaved as error:
            context = {**result_context(_own(request, token)), "error": str(error)}  # as stored, unchanged
            return render(request, "emoticon/result.html", context, status=503)
    return redirect(emoticon)


@require_GET
def stickers(request: HttpRequest, token: str) -> HttpResponse:
    # Capability URL, like the media files: the unguessable token is the permission.
    emoticon = get_object_or_404(Emoticon, token=token)
    response = HttpResponse(emoticon_sticker_pack(emoticon=emoticon), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="emopic-stickers.zip"'
    return response
