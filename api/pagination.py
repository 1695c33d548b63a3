"""Cursor pagination for every list endpoint: stable under inserts (no row shown twice or
skipped when rows are added while a client pages), no COUNT(*), constant cost at any depth.

    {"next": "https://…/api/v1/dids/?cursor=cD0yMDI2…", "previous": null, "results": [...]}

A list view sets ``pagination_class = CursorPage`` (the default) and an ``ordering`` on a
unique, indexed column, or a tuple ending with one (``("-created_at", "-id")``). ``?limit=``
asks for 1..MAX_LIMIT rows (DEFAULT_LIMIT without it).
"""

from rest_framework.pagination import CursorPagination

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class CursorPage(CursorPagination):
    page_size = DEFAULT_LIMIT
    page_size_query_param = "limit"
    max_page_size = MAX_LIMIT
    ordering = "-id"  # each list endpoint names its own

    def get_ordering(self, request, queryset, view):
        """The view's ``ordering`` (a column or a tuple), else this class's."""
        ordering = getattr(view, "ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)
