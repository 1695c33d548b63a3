"""Browser imports of large files on the task queue (django-tasks and its database backend:
the API Django 6 adopted as ``django.tasks``; ``manage.py db_worker`` runs them).

The worker runs the very import the page ran before (``import_csv``: one transaction, all or
nothing) and writes how far it is to a small JSON file beside the upload, at most once a
second. A file, not a row: the import's transaction would hide a row until it commits, and
DID_IMPORT_DIR is already shared by the app servers. The progress page reads that file and
the task's result, so it survives a reload and answers on any server.
"""

import json
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from time import time

from django.conf import settings
from django_tasks import task

from accounts.models import User
from core.importing import uploads
from core.importing.reader import FileError
from core.progress import duration
from dids.importing.csv_file import Choices, import_csv
from dids.models import DIDImport, Provider

MONEY_DEFAULTS = ("buy_cost", "setup_fee", "monthly_fee")  # defaults kept as Decimal
WRITE_EVERY = 1.0  # seconds between two writes of the progress file


def queue_from_bytes() -> int:
    """Uploads of this size or more are imported by the worker (DID_IMPORT_QUEUE_MB, default 5)."""
    return int(Decimal(str(getattr(settings, "DID_IMPORT_QUEUE_MB", 5))) * 1024 * 1024)


def progress_path(token: str) -> Path:
    return uploads.upload_path(token).with_suffix(".progress.json")


def choices_to_json(choices: Choices) -> dict:
    """The admin's choices as the task's JSON arguments (Decimals as text)."""
    return {"country": choices.country, "prices": choices.prices,
            "overrides": {str(column): name for column, name in choices.overrides.items()},
            "defaults": {name: str(value) if isinstance(value, Decimal) else value
                         for name, value in choices.defaults.items()}}


def choices_from_json(data: dict) -> Choices:
    return Choices(country=data["country"], prices=data["prices"],
                   overrides={int(column): name for column, name in data["overrides"].items()},
                   defaults={name: Decimal(value) if name in MONEY_DEFAULTS else value
                             for name, value in data["defaults"].items()})


class ProgressFile:
    """The import's ``progress`` callback in the worker: rows done, total and when it started."""

    def __init__(self, path: Path):
        self.path, self.started, self.written = path, time(), 0.0

    def __call__(self, done: int, total: int | None = None, stage: str = "") -> None:
        now = time()
        if now - self.written < WRITE_EVERY and done != total:
            return
        self.written = now
        part = self.path.with_suffix(".part")
        part.write_text(json.dumps({"done": done, "total": total, "started": self.started, "at": now}))
        os.replace(part, self.path)  # the page never reads half a file


@dataclass
class Progress:
    done: int = 0
    total: int | None = None
    seconds: float = 0.0  # since the worker started the import

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def all_read(self) -> bool:
        """Every row is checked: the import is writing (or committing) the new DIDs."""
        return bool(self.total) and self.done >= self.total

    @property
    def time_left(self) -> str:
        """h:mm:ss at the rate so far; blank until there is a rate (or when all rows are read)."""
        if not self.total or not self.rate or self.done >= self.total:
            return ""
        return duration((self.total - self.done) / self.rate)

    @property
    def elapsed(self) -> str:
        return duration(self.seconds)


def read_progress(token: str) -> Progress | None:
    """How far the worker is; None before it started."""
    try:
        data = json.loads(progress_path(token).read_text())
    except (FileNotFoundError, ValueError):
        return None
    total = max(data["total"], data["done"]) if data["total"] is not None else None
    return Progress(data["done"], total, data["at"] - data["started"])


@task()
def import_in_background(token: str, provider_id: int, choices: dict, filename: str, user_id: int) -> dict:
    """The confirmed preview ``token``, imported as the Confirm button would: the import's id and
    counts, or why nothing was imported."""
    errors = uploads.preview_errors_path(token)
    try:
        report = import_csv(uploads.upload_path(token), default_provider=Provider.objects.get(pk=provider_id),
                            choices=choices_from_json(choices), write=True, errors_path=errors,
                            source_kind=DIDImport.Source.BROWSER, filename=filename,
                            by=User.objects.get(pk=user_id), progress=ProgressFile(progress_path(token)))
    except (FileError, FileNotFoundError) as error:
        return {"error": str(error)}
    if report.import_record is None:
        return {"rows_read": report.rows_read}
    errors.replace(uploads.import_errors_path(report.import_record.pk))
    return {"import_id": report.import_record.pk, "new": report.new, "duplicates": report.duplicates,
            "invalid": report.invalid}


def forget(token: str) -> None:
    progress_path(token).unlink(missing_ok=True)
