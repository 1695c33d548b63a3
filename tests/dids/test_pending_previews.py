"""Previews waiting for Confirm: only the last few are kept, and making one again (Check again)
neither drops it nor its uploaded file."""

from types import SimpleNamespace

from core.importing import uploads
from core.importing.pending import KEEP, PendingPreviews


def _upload(token):
    uploads.upload_path(token).write_bytes(b"DID\n")


def test_older_previews_go_and_a_preview_made_again_stays(settings, tmp_path):
    settings.DID_IMPORT_DIR = str(tmp_path)
    request = SimpleNamespace(session={})
    store = PendingPreviews("test_pending")
    tokens = [uploads.new_token() for _ in range(KEEP + 2)]
    for token in tokens:
        _upload(token)
        store.remember(request, token, {"n": token})
    kept = list(request.session["test_pending"])
    assert kept == tokens[-KEEP:]
    assert not uploads.upload_path(tokens[0]).exists() and uploads.upload_path(tokens[-1]).exists()
    oldest_kept = kept[0]
    store.remember(request, oldest_kept, {"n": "checked again"})  # was dropped with its file once
    assert store.get(request, oldest_kept) == {"n": "checked again"}
    assert uploads.upload_path(oldest_kept).exists()
    assert len(request.session["test_pending"]) == KEEP
