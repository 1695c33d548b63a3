"""List pages: allow-listed sorting, pagination and the seed's counter text.

Every list (DIDs, providers, accounts, ...) uses this so that sort keys can
only come from an allow-list and the counter reads like the seed:
"1 - 25 of 1,234 Records", or "No Records".
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

PER_PAGE = 25


@dataclass
class ListPage:
    rows: list
    number: int
    per_page: int
    total: int
    sort: str

    @property
    def start(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.total else 0

    @property
    def end(self) -> int:
        return self.start + len(self.rows) - 1 if self.total else 0

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def counter(self) -> str:
        if not self.total:
            return "No Records"
        return f"{self.start:,} - {self.end:,} of {self.total:,} Records"


def _positive_int(value: Any, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


def sort_order(request, sorts: dict[str, tuple[str, ...]], default_sort: str) -> tuple[str, list[str]]:
    """(the sort key in effect, the ORDER BY fields) for ``?sort=key`` or ``?sort=-key``.
    An unknown key falls back to the default; it never reaches the database."""
    sort = request.GET.get("sort", default_sort)
    key = sort.removeprefix("-")
    if key not in sorts:
        sort, key = default_sort, default_sort.removeprefix("-")
    descending = sort.startswith("-")
    ordering = [f"-{f}" if descending else f for f in sorts[key]]
    ordering.append("-pk" if descending else "pk")  # stable order between pages
    return sort, ordering


def sorted_by(request, queryset: QuerySet, sorts: dict[str, tuple[str, ...]], default_sort: str) -> QuerySet:
    """The whole queryset in the list's order (for exports)."""
    return queryset.order_by(*sort_order(request, sorts, default_sort)[1])


def paginate(
    request,
    queryset: QuerySet,
    *,
    sorts: dict[str, tuple[str, ...]],
    default_sort: str,
    per_page: int = PER_PAGE,
) -> ListPage:
    """Sort by an allow-listed key (``?sort=key`` or ``?sort=-key``) and cut one page.

    Two queries: the count and the page. An unknown sort key falls back to the
    default; it never reaches the database.
    """
    sort, ordering = sort_order(request, sorts, default_sort)
    total = queryset.count()
    page_count = max(1, -(-total // per_page))
    number = min(_positive_int(request.GET.get("page"), 1), page_count)
    offset = (number - 1) * per_page
    rows = list(queryset.order_by(*ordering)[offset : offset + per_page])
    return ListPage(rows=rows, number=number, per_page=per_page, total=total, sort=sort)
