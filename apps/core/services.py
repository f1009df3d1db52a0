"""Services shared by every tool: storing creations whole or not at all, and purging them when they expire."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import FileField, QuerySet
from django.http import HttpRequest

from .creations import creation_key, creation_models
from .models import Creation

logger = logging.getLogger(__name__)
C = TypeVar("C", bound=Creation)


class CreationNotSaved(RuntimeError):
    """Storage or the database failed; nothing of the creation was kept."""


def session_owner(request: HttpRequest) -> str:
    """The visitor's session key, creating the session on first use."""
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key or ""


def save_creation(creation: C, files: dict[str, tuple[str, bytes]]) -> C:
    """Write every file, then the row, in one transaction; on any failure remove what was written.

    ``files`` maps a FileField name of ``creation`` to (file name, bytes).
    """
    written: list[tuple[object, str]] = []
    try:
        with transaction.atomic():
            for field_name, (filename, content) in files.items():
                field_file = getattr(creation, field_name)
                field_file.save(filename, ContentFile(content), save=False)
                written.append((field_file.storage, field_file.name))
            creation.save()
    except Exception as exc:
        for storage, name in written:
            try:
                storage.delete(name)  # type: ignore[attr-defined]
            except Exception:  # the original error matters more; log and go on
                logger.exception("Could not remove %s after a failed save", name)
        logger.exception("Saving a %s creation failed", creation.TOOL)
        raise CreationNotSaved("The result could not be saved; nothing was kept. Please try again.") from exc
    return creation


def replace_files(creation: Creation, files: dict[str, tuple[str, bytes]], update_fields: list[str]) -> None:
    """Swap files of a saved creation, all or none; the old files go only once the new ones and the row are saved.

    ``files`` maps a FileField name to (file name, bytes), as for ``save_creation``. A storage or database
    failure raises ``CreationNotSaved``; the stored row and its old files are then untouched.
    """
    old_names = {field_name: getattr(creation, field_name).name for field_name in files}
    written: dict[str, str] = {}
    try:
        for field_name, (filename, content) in files.items():
            field_file = getattr(creation, field_name)
            field_file.save(filename, ContentFile(content), save=False)
            written[field_name] = field_file.name
        creation.save(update_fields=[*files, *update_fields])
    except Exception as exc:
        for field_name, old_name in old_names.items():
            getattr(creation, field_name).name = old_name  # the instance points at the files its row still names
        for field_name, new_name in written.items():
            if new_name != old_names[field_name]:
                try:
                    getattr(creation, field_name).storage.delete(new_name)
                except Exception:  # the original error matters more; log and go on
                    logger.exception("Could not remove %s after a failed save", new_name)
        logger.exception("Replacing %s of %s failed", ", ".join(files), creation_key(creation))
        message = "Your change could not be saved; the previous result is kept. Please try again."
        raise CreationNotSaved(message) from exc
    for field_name, old_name in old_names.items():
        if old_name and old_name != written[field_name]:
            try:
                getattr(creation, field_name).storage.delete(old_name)
            except Exception:
                # The change is saved and shown; only the old file stays behind, in no row: logged with its name.
                logger.exception("Could not remove %s, replaced by %s", old_name, written[field_name])


@dataclass(frozen=True)
class PurgeCount:
    """What a purge did to one tool's creations; ``found`` alone on a dry run."""

    tool: str
    found: int
    deleted: int = 0
    kept: int = 0


def creations_purge(
    *,
    older_than: datetime,
    dry_run: bool = False,
    batch_size: int = 200,
    models: Iterable[type[Creation]] | None = None,
) -> list[PurgeCount]:
    """Delete every creation (``models``, default: every tool) made before ``older_than``: its files, then its row.

    A row whose files could not all be deleted is kept, for the next purge to retry.
    """
    counts = []
    for model in creation_models() if models is None else models:
        expired = model.objects.filter(created_at__lt=older_than)
        if dry_run:
            counts.append(PurgeCount(tool=model.TOOL, found=expired.count()))
            continue
        counts.append(_purge_model(model, expired, batch_size))
        logger.info("Purged %s: %d deleted, %d kept", model.TOOL, counts[-1].deleted, counts[-1].kept)
    return counts


def _purge_model(model: type[Creation], expired: QuerySet, batch_size: int) -> PurgeCount:
    # The order, per row: detach it from its visitor, delete its files, and only then delete the row.
    # - Files before the row: a row left behind is found again and retried by the next purge, whereas a file
    #   whose row is gone would be a photo nobody can find any more: kept forever, the failure this prevents.
    # - A storage error keeps the row, and the row keeps the names of files already deleted: blanking them
    #   would make FileField.url raise on the pages and admin screens that still show the row, while a
    #   missing file only shows as a broken image, and deleting a missing name again is a no-op.
    # - So that no visitor is ever served a half-deleted creation, the batch is first detached from its
    #   session (owner_session="" matches no visitor): the pages and the gallery give it up before any
    #   file goes. Staff still see a kept row in the review screens until the retry removes it.
    file_field_names = [f.name for f in model._meta.get_fields() if isinstance(f, FileField)]
    found = deleted = kept = 0
    last_pk = None
    while True:
        batch_qs = expired.order_by("pk")
        if last_pk is not None:
            batch_qs = batch_qs.filter(pk__gt=last_pk)
        batch = list(batch_qs.only("pk", *file_field_names)[:batch_size])
        if not batch:
            break
        last_pk = batch[-1].pk
        found += len(batch)
        model.objects.filter(pk__in=[row.pk for row in batch]).update(owner_session="")
        done = [row.pk for row in batch if _delete_files(row)]
        deleted += model.objects.filter(pk__in=done).delete()[1].get(model._meta.label, 0)
        kept += len(batch) - len(done)
    return PurgeCount(tool=model.TOOL, found=found, deleted=deleted, kept=kept)


def _delete_files(creation: Creation) -> bool:
    """Delete every file of ``creation`` from its storage; False, logged, if any could not be."""
    all_gone = True
    for field_file in creation.file_fields():
        try:
            field_file.storage.delete(field_file.name)
        except FileNotFoundError:
            pass  # already gone: what we wanted (most storages do not even raise for it)
        except Exception:
            # Go on with the other files: each one deleted is personal data gone, and the row is kept anyway.
            logger.exception("Could not delete %s of %s; its row is kept for the next purge", field_file.name,
                             creation_key(creation))  # fmt: skip
            all_gone = False
    return all_gone


def orphans_purge(*, older_than: datetime, models: Iterable[type[Creation]] | None = None) -> int:
    """Delete stored files that no row names, last written before ``older_than``; the number deleted.

    Every file a row names lives under ``<tool>/<token>/``. A process that died, or a storage that dropped
    between two writes of one creation, can leave such a folder with no row, which the row-driven purge
    never finds. Give ``older_than`` a margin (an hour) so that a creation still being written is left alone.
    """
    from django.core.files.storage import default_storage

    deleted = 0
    for model in creation_models() if models is None else models:
        try:
            folders, _ = default_storage.listdir(model.TOOL)
        except FileNotFoundError:
            continue
        known = set(model.objects.filter(token__in=folders).values_list("token", flat=True))
        for token in set(folders) - known:
            deleted += _delete_folder_if_older(default_storage, f"{model.TOOL}/{token}", older_than)
    return deleted


def _delete_folder_if_older(storage: object, folder: str, older_than: datetime) -> int:
    _, names = storage.listdir(folder)  # type: ignore[attr-defined]
    paths = [f"{folder}/{name}" for name in names]
    if not paths or any(storage.get_modified_time(path) >= older_than for path in paths):  # type: ignore[attr-defined]
        return 0
    for path in paths:
        storage.delete(path)  # type: ignore[attr-defined]
    logger.warning("Deleted %d files under %s that no row names", len(paths), folder)
    return len(paths)
