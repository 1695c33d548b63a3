"""Per-token throttling: at most settings.API_THROTTLE_RATE requests ("120/min") per token and
window, counted in the database (``ApiRequestCount``) by one atomic upsert, so that every worker
of every app server shares the count. A fixed window: the count starts again at each window's
start (up to twice the rate can pass across a window's edge). Over the rate: 429 with
``Retry-After`` (the seconds to the next window). Requests without a token are not counted
(they are refused before any work, or are the public schema and docs)."""

from datetime import datetime, timezone as dt_timezone

from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from api.models import ApiRequestCount, ApiToken

_TABLE = ApiRequestCount._meta.db_table


def rate() -> tuple[int, int]:
    """(requests, seconds) of API_THROTTLE_RATE, read at each request (tests override it)."""
    return SimpleRateThrottle.parse_rate(None, settings.API_THROTTLE_RATE)


def count(token_id: int, now=None) -> tuple[int, float]:
    """Count one request of this token: (requests in the current window, seconds left in it)."""
    limit, period = rate()
    now = now or timezone.now()
    epoch = now.timestamp()
    start = datetime.fromtimestamp(epoch - epoch % period, tz=dt_timezone.utc)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(_TABLE)} (token_id, window_start, hits) VALUES (%s, %s, 1) "
            f"ON CONFLICT (token_id, window_start) DO UPDATE SET hits = {quote(_TABLE)}.hits + 1 RETURNING hits",
            [token_id, connection.ops.adapt_datetimefield_value(start)],
        )
        hits = cursor.fetchone()[0]
    if hits == 1:  # a new window: the token's older ones are of no use any more
        ApiRequestCount.objects.filter(token_id=token_id, window_start__lt=start).delete()
    return hits, period - (epoch - start.timestamp())


class TokenRateThrottle(BaseThrottle):
    def allow_request(self, request, view):
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        hits, self._left = count(token.pk)
        return hits <= rate()[0]

    def wait(self):
        return getattr(self, "_left", None)
