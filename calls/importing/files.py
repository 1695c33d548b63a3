"""Where a CDR import's rejected rows are kept (DID_IMPORT_DIR, beside the DID imports')."""

import shutil
from pathlib import Path

from core.importing.uploads import folder


def errors_path(import_id: int) -> Path:
    return folder() / f"cdr-import-{int(import_id)}-errors.csv"


def store_errors(report, written: Path) -> None:
    """Copy a finished import's error file to where its report page finds it."""
    if report.import_record is not None and report.invalid:
        shutil.copyfile(written, errors_path(report.import_record.pk))
