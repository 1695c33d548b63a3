"""The header's unread count (templates/nav/notices_link.html), for reseller and customer users.

Lazy: nothing is read until a template renders the value, so a page that never shows the header
(a CSV export, a redirect) runs no query; one that does runs one COUNT, capped (99+)."""

from django.utils.functional import cached_property

from notices.reading import unread_count

CAP = 99


class UnreadNotices:
    def __init__(self, request):
        self._request = request

    @cached_property
    def count(self) -> int:
        user = getattr(self._request, "user", None)
        if user is None or not user.is_authenticated or user.account_id is None:
            return 0
        return unread_count(user.account_id, CAP)

    def __bool__(self) -> bool:
        return self.count > 0

    def __str__(self) -> str:
        return f"{CAP}+" if self.count > CAP else str(self.count)


def unread_notices(request):
    return {"unread_notices": UnreadNotices(request)}
