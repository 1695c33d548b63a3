"""Files of the browser import between preview and confirmation, and the error
reports of finished imports, in settings.DID_IMPORT_DIR.

Several app servers must share this folder (or route an admin's requests to
one server) for a preview made on one to be confirmed on another.
"""

import re
import secrets
from pathlib import Path

from django.conf import settings

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def folder() -> Path:
    path = Path(settings.DID_IMPORT_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_token() -> str:
    return secrets.token_hex(16)


def upload_path(token: str) -> Path:
    if not _TOKEN.match(token):  # never a path from the request
        raise ValueError("bad token")
    return folder() / f"{token}.csv"


def preview_errors_path(token: str) -> Path:
    return upload_path(token).with_suffix(".errors.csv")


def import_errors_path(import_id: int) -> Path:
    return folder() / f"import-{int(import_id)}-errors.csv"


def save_upload(uploaded) -> str:
    token = new_token()
    with upload_path(token).open("wb") as file:
        for chunk in uploaded.chunks():
            file.write(chunk)
    return token


def forget(token: str) -> None:
    upload_path(token).unlink(missing_ok=True)
    preview_errors_path(token).unlink(missing_ok=True)
