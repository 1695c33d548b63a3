"""List pages: allow-listed sorting, pagination and the seed's counter text.

Every list (DIDs, providers, accounts, ...) uses this so that sort keys can
only come from an allow-list and the counter reads like the seed:
"1 - 25 of 1,234 Records", or "No Records".

Lists that can grow to a million rows (the admin's DIDs, Buy DIDs, My DIDs,
statements) call ``paginate(..., keyset=True)`` and stay as fast on their last
page as on their first:

- **Counts stop at a limit** (``LIST_EXACT_COUNT_LIMIT``, 10,000 rows): up to it
  the counter is exact and unchanged ("1 - 25 of 1,234 Records"); above it,
  PostgreSQL's own row estimate for the same query (``EXPLAIN``) is shown as
  "of about 1,000,000 Records", never below what was counted ("of more than
  10,000 Records" when the estimate is lower). SQLite always counts exactly.
- **Keyset pages**: above the limit, Next / Previous carry a cursor (the sort
  key of the page's last / first row, plus its position) instead of a page
  number, so a page is an index range scan wherever it is; Last reads the list
  backwards; "Go to" (when the list is sorted by number) starts the page at a
  typed number. Page numbers (``?page=``) still work, up to the limit.
- One count, at most one or two estimates, one page query: a fixed number of
  queries however many rows there are.
"""

import base64
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable

from django.conf import settings
from django.db import connections
from django.db.models import F, QuerySet
from django.db.models.fields.tuple_lookups import (
    Tuple,
    TupleGreaterThan,
    TupleGreaterThanOrEqual,
    TupleLessThan,
    TupleLessThanOrEqual,
)

PER_PAGE = 25
# The page sizes a reader may choose (?per_page=); any other value falls back to the list's own.
PAGE_SIZES = (10, 25, 50, 100)
EXACT_COUNT_LIMIT = 10_000
# The query-string keys of keyset pages; a new sort or search starts without them.
CURSOR_PARAMS = ("page", "after", "before", "last", "from")


def exact_count_limit() -> int:
    """Rows counted exactly before the counter switches to PostgreSQL's estimate."""
    return getattr(settings, "LIST_EXACT_COUNT_LIMIT", EXACT_COUNT_LIMIT)


@dataclass
class ListPage:
    rows: list
    number: int
    per_page: int
    total: int
    sort: str
    # True when ``total`` is PostgreSQL's estimate (the exact count stopped at the limit).
    estimated: bool = False
    # Rows known to exist (the capped count), so an estimate is never shown below it.
    at_least: int = 0
    # Keyset pages: the position of the first row (None: unknown), and whether it is estimated.
    position: int | None = None
    position_estimated: bool = False
    keyset: bool = False
    more_before: bool | None = None
    more_after: bool | None = None
    # The pager's links: [{"label", "href", "disabled"}], and the "Go to" form.
    links: list = field(default_factory=list)
    info: str = ""
    jump_label: str = ""
    jump_keep: list = field(default_factory=list)
    # The page-size choice: the query string to keep (a new size starts again at the first page).
    size_keep: list = field(default_factory=list)

    @property
    def page_sizes(self) -> list[int]:
        return sorted({*PAGE_SIZES, self.per_page})

    @property
    def start(self) -> int | None:
        if self.keyset:
            return self.position if self.rows else 0
        return (self.number - 1) * self.per_page + 1 if self.total else 0

    @property
    def end(self) -> int | None:
        start = self.start
        if start is None:
            return None
        return start + len(self.rows) - 1 if self.rows else 0

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.more_before if self.more_before is not None else self.number > 1

    @property
    def has_next(self) -> bool:
        return self.more_after if self.more_after is not None else self.number < self.num_pages

    @property
    def total_text(self) -> str:
        if not self.estimated:
            return f"{self.total:,}"
        floor = self.at_least
        if not self.position_estimated and self.end:
            floor = max(floor, self.end + (1 if self.has_next else 0))
        if self.total >= floor:
            return f"about {self.total:,}"
        return f"more than {floor - 1:,}"

    @property
    def counter(self) -> str:
        if not self.rows or not (self.keyset or self.total):
            return "No Records"
        if self.start is None:  # a page counted from the end of a list whose length is unknown
            return f"{'Last ' if not self.has_next else ''}{len(self.rows):,} of {self.total_text} Records"
        about = "about " if self.position_estimated else ""
        return f"{about}{self.start:,} - {self.end:,} of {self.total_text} Records"


def page_size(request, default: int) -> int:
    """``?per_page=`` when it is one of PAGE_SIZES, else the list's own size."""
    chosen = _positive_int(request.GET.get("per_page"), default)
    return chosen if chosen in PAGE_SIZES else default


def _size_choice(request, page: "ListPage") -> "ListPage":
    page.size_keep = [(k, v) for k, values in request.GET.lists() if k not in (*CURSOR_PARAMS, "per_page")
                      for v in values]
    return page


def _positive_int(value: Any, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


def sort_order(
    request, sorts: dict[str, tuple[str, ...]], default_sort: str, unique: tuple[str, ...] = ()
) -> tuple[str, list[str]]:
    """(the sort key in effect, the ORDER BY fields) for ``?sort=key`` or ``?sort=-key``.
    An unknown key falls back to the default; it never reaches the database.
    The primary key ends every order (stable pages) unless the order already ends
    with a field named in ``unique``."""
    sort = request.GET.get("sort", default_sort)
    key = sort.removeprefix("-")
    if key not in sorts:
        sort, key = default_sort, default_sort.removeprefix("-")
    descending = sort.startswith("-")
    fields = list(sorts[key])
    if fields[-1] not in unique:
        fields.append("pk")  # stable order between pages
    ordering = [f"-{f}" if descending else f for f in fields]
    return sort, ordering


def sorted_by(request, queryset: QuerySet, sorts: dict[str, tuple[str, ...]], default_sort: str) -> QuerySet:
    """The whole queryset in the list's order (for exports)."""
    return queryset.order_by(*sort_order(request, sorts, default_sort)[1])


# --- counting -----------------------------------------------------------------

def count_up_to(queryset: QuerySet, limit: int) -> int:
    """The exact count when it is at most ``limit``, else ``limit + 1`` (PostgreSQL
    stops there); SQLite counts everything (demo-sized tables)."""
    if queryset.db and connections[queryset.db].vendor != "postgresql":
        return queryset.count()
    return queryset.order_by()[: limit + 1].count()


def estimate_rows(queryset: QuerySet) -> int:
    """PostgreSQL's planner estimate of the rows of ``queryset`` (one EXPLAIN, nothing read)."""
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


# --- cursors --------------------------------------------------------------------

def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()  # full precision: a cursor must match its row exactly
    if isinstance(value, Decimal):
        return str(value)
    return value


def _encode(sort: str, values: list, position: int | None, estimated: bool) -> str:
    payload = {"s": sort, "k": [_plain(v) for v in values], "n": position, "e": int(estimated)}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _comparable(value) -> bool:
    """A key value the database can compare a column with. A tampered cursor (or a typed
    "Go to") may carry anything ``to_python`` lets through that the database would refuse
    with an error: NUL in text (PostgreSQL), a number past any column's range, a time that
    overflows when converted to UTC (SQLite)."""
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, Decimal):
        return value.is_finite() and abs(value.adjusted()) < 100
    if isinstance(value, int) and not isinstance(value, bool):
        return -(2**63) <= value < 2**63
    if isinstance(value, (datetime, date)):
        return 1 < value.year < 9999
    return True


def _decode(token: str, sort: str, output_fields: list) -> tuple[list, int | None, bool] | None:
    """(key values, position, estimated) of a cursor made for this sort, or None.
    A cursor only chooses where the page starts within rows the user may see anyway;
    anything malformed is ignored (the first page is shown)."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if payload["s"] != sort or len(payload["k"]) != len(output_fields):
            return None
        values = [f.to_python(v) for f, v in zip(output_fields, payload["k"])]
        if not all(_comparable(v) for v in values):
            return None
        position = payload.get("n")
        position = int(position) if position is not None else None
        if position is not None and position < 1:
            position = 1
        return values, position, bool(payload.get("e"))
    except Exception:  # noqa: BLE001 - malformed base64, JSON or values: no cursor
        return None


# --- pages ----------------------------------------------------------------------

def _query(request, **changes) -> str:
    params = request.GET.copy()
    for key in CURSOR_PARAMS:
        params.pop(key, None)
    for key, value in changes.items():
        if value is not None:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


def _link(label: str, href: str | None) -> dict:
    return {"label": label, "href": href or "", "disabled": not href}


def paginate(
    request,
    queryset: QuerySet,
    *,
    sorts: dict[str, tuple[str, ...]],
    default_sort: str,
    per_page: int = PER_PAGE,
    keyset: bool = False,
    unique: tuple[str, ...] = (),
    jump: dict[str, Callable[[str], Any]] | None = None,
    jump_label: str = "",
) -> ListPage:
    """Sort by an allow-listed key (``?sort=key`` or ``?sort=-key``) and cut one page.

    Without ``keyset``: two queries, the exact count and the OFFSET page.
    With ``keyset`` (lists that may hold a million rows): a count that stops at
    the limit, PostgreSQL's estimate beyond it, and cursor pages beyond the first
    (see the module's docstring). ``unique`` names sort fields that are unique
    (no primary key needed after them); ``jump`` maps a primary sort field to a
    function turning typed text into a value to start the page at ("Go to").
    An unknown sort key falls back to the default; it never reaches the database.
    """
    per_page = page_size(request, per_page)
    if keyset:
        page = _keyset_page(request, queryset, sorts=sorts, default_sort=default_sort, per_page=per_page,
                            unique=unique, jump=jump or {}, jump_label=jump_label)
        return _size_choice(request, page)
    sort, ordering = sort_order(request, sorts, default_sort, unique)
    total = queryset.count()
    page_count = max(1, -(-total // per_page))
    number = min(_positive_int(request.GET.get("page"), 1), page_count)
    offset = (number - 1) * per_page
    rows = list(queryset.order_by(*ordering)[offset : offset + per_page])
    page = ListPage(rows=rows, number=number, per_page=per_page, total=total, sort=sort)
    _numbered_links(request, page)
    return _size_choice(request, page)


def _numbered_links(request, page: ListPage) -> None:
    if page.num_pages <= 1:
        return
    n = page.number
    page.links = [
        _link("First", _query(request, page=1) if page.has_previous else None),
        _link("Previous", _query(request, page=n - 1) if page.has_previous else None),
        _link("Next", _query(request, page=n + 1) if page.has_next else None),
        _link("Last", _query(request, page=page.num_pages) if page.has_next else None),
    ]
    page.info = f"Page {n:,} of {page.num_pages:,}"


def _reverse(ordering: list[str]) -> list[str]:
    return [f.removeprefix("-") if f.startswith("-") else f"-{f}" for f in ordering]


def _keyset_page(request, queryset, *, sorts, default_sort, per_page, unique, jump, jump_label) -> ListPage:
    sort, ordering = sort_order(request, sorts, default_sort, unique)
    fields = [f.removeprefix("-") for f in ordering]
    descending = ordering[0].startswith("-")
    names = [f"listing_key_{i}" for i in range(len(fields))]
    keyed = queryset.annotate(**{name: F(f) for name, f in zip(names, fields)})
    output_fields = [keyed.query.annotations[name].output_field for name in names]
    keys = Tuple(*[F(f) for f in fields])

    limit = exact_count_limit()
    counted = count_up_to(queryset, limit)
    estimated = counted > limit and connections[queryset.db].vendor == "postgresql"
    total = estimate_rows(queryset) if estimated else counted
    large = counted > limit
    page = ListPage(rows=[], number=1, per_page=per_page, total=total, sort=sort, estimated=estimated,
                    at_least=min(counted, limit + 1), keyset=large)

    def fetch(qs, order, count):
        return list(qs.order_by(*order)[:count])

    def first_page():
        rows = fetch(keyed, ordering, per_page + 1)
        page.rows, page.position, page.position_estimated = rows[:per_page], 1, False
        page.more_before, page.more_after = False, len(rows) > per_page

    def last_page():
        rows = fetch(keyed, _reverse(ordering), per_page + 1)
        page.more_before, page.more_after = len(rows) > per_page, False
        page.rows = rows[:per_page][::-1]
        if not estimated:
            page.position, page.position_estimated = max(1, total - len(page.rows) + 1), False
        elif total >= page.at_least:
            page.position, page.position_estimated = max(1, total - len(page.rows) + 1), True
        else:
            page.position = None  # the estimate is below what was counted: say "Last 25"

    params = request.GET
    after, before = params.get("after"), params.get("before")
    cursor = _decode(after or before or "", sort, output_fields) if (after or before) else None
    primary = fields[0]
    jump_to = None
    if params.get("from") and primary in jump:
        try:
            jump_to = output_fields[0].to_python(jump[primary](params["from"])) or None
            jump_to = jump_to if _comparable(jump_to) else None
        except Exception:  # noqa: BLE001 - a typed value that cannot be a key is simply ignored
            jump_to = None

    if not large:
        # A short list: numbered pages exactly as before (OFFSET is cheap below the limit).
        page.keyset = False
        page.number = min(_positive_int(params.get("page"), 1), page.num_pages)
        offset = (page.number - 1) * per_page
        page.rows = list(keyed.order_by(*ordering)[offset: offset + per_page])
        _numbered_links(request, page)
        return page

    if cursor and after:
        values, position, approx = cursor
        after_lookup = TupleLessThan if descending else TupleGreaterThan
        rows = fetch(keyed.filter(after_lookup(keys, values)), ordering, per_page + 1)
        if rows:
            page.rows, page.more_after, page.more_before = rows[:per_page], len(rows) > per_page, True
            page.position, page.position_estimated = position, approx
        else:
            last_page()
    elif cursor and before:
        values, position, approx = cursor
        before_lookup = TupleGreaterThan if descending else TupleLessThan
        rows = fetch(keyed.filter(before_lookup(keys, values)), _reverse(ordering), per_page + 1)
        if len(rows) > per_page:
            page.rows, page.more_before, page.more_after = rows[:per_page][::-1], True, True
            page.position, page.position_estimated = position, approx
            if position is not None and position <= 1:
                page.position = None  # the list changed under the cursor: the position is unknown
        else:
            first_page()  # reached the start: a full first page
    elif params.get("last"):
        last_page()
    elif jump_to is not None:
        start_lookup = TupleLessThanOrEqual if descending else TupleGreaterThanOrEqual
        rows = fetch(keyed.filter(start_lookup(Tuple(F(primary)), [jump_to])), ordering, per_page + 1)
        if not rows:
            last_page()
        else:
            page.rows, page.more_after = rows[:per_page], len(rows) > per_page
            before_lookup = TupleGreaterThan if descending else TupleLessThan
            earlier = queryset.filter(before_lookup(Tuple(F(primary)), [jump_to]))
            n_before = count_up_to(earlier, limit)
            if n_before > limit and estimated:
                n_before, page.position_estimated = max(estimate_rows(earlier), limit + 1), True
            page.position = n_before + 1
            page.more_before = n_before > 0
    else:
        number = _positive_int(params.get("page"), 1)
        number = min(number, max(1, limit // per_page))  # OFFSET never beyond the limit
        offset = (number - 1) * per_page
        rows = list(keyed.order_by(*ordering)[offset: offset + per_page + 1])
        if not rows:
            first_page()
        else:
            page.number, page.rows, page.position = number, rows[:per_page], offset + 1
            page.more_before, page.more_after = offset > 0, len(rows) > per_page

    _keyset_links(request, page, names, jump, primary, jump_label)
    return page


def _keyset_links(request, page: ListPage, names: list[str], jump: dict, primary: str, jump_label: str) -> None:
    if not page.rows:
        return
    first_values = [getattr(page.rows[0], n) for n in names]
    last_values = [getattr(page.rows[-1], n) for n in names]
    start, end = page.start, page.end
    previous_position = max(1, start - page.per_page) if start is not None else None
    next_position = end + 1 if end is not None else None
    approx = page.position_estimated
    page.links = [
        _link("First", _query(request) if page.has_previous else None),
        _link("Previous", _query(request, before=_encode(page.sort, first_values, previous_position, approx))
              if page.has_previous else None),
        _link("Next", _query(request, after=_encode(page.sort, last_values, next_position, approx))
              if page.has_next else None),
        _link("Last", _query(request, last=1) if page.has_next else None),
    ]
    if primary in jump:
        page.jump_label = jump_label or "Go to"
        page.jump_keep = [(k, v) for k, values in request.GET.lists() if k not in CURSOR_PARAMS for v in values]
