"""Previews waiting for Confirm, remembered in the admin's session by upload token
(the DID import and the CDR import each under their own key). Only the last few
are kept: older uploads are deleted from DID_IMPORT_DIR."""

from django.http import Http404

from core.importing import uploads

KEEP = 5


class PendingPreviews:
    def __init__(self, session_key: str):
        self.session_key = session_key

    def remember(self, request, token: str, what) -> None:
        """Keep ``what`` for ``token``: a new preview, or the same one made again with new choices."""
        pending = request.session.get(self.session_key, {})
        if token not in pending:
            for old in list(pending)[:-(KEEP - 1)]:
                uploads.forget(old)
                del pending[old]
        pending[token] = what
        request.session[self.session_key] = pending

    def get(self, request, token: str):
        """What the preview was made from; 404 for a token this session did not make (or already used)."""
        what = request.session.get(self.session_key, {}).get(token)
        if what is None:
            raise Http404("No such preview")
        return what

    def forget(self, request, token: str) -> None:
        pending = request.session.get(self.session_key, {})
        pending.pop(token, None)
        request.session[self.session_key] = pending
        uploads.forget(token)
