"""PostgreSQL's lock_timeout and statement_timeout: a stuck lock fails fast, with a clear answer.

Every PostgreSQL connection starts with ``lock_timeout`` = DB_LOCK_TIMEOUT_MS and
``statement_timeout`` = DB_STATEMENT_TIMEOUT_MS (settings.py passes them as
``-c`` options at connect time). When one of them fires, PostgreSQL cancels the
statement and the surrounding transaction is rolled back, so nothing is half
written:

- in a web request, ``DatabaseBusyMiddleware`` answers 503 with
  ``BUSY_MESSAGE`` instead of a 500, and logs it;
- a long-running management command wraps its ``handle`` in ``@long_running``:
  no statement timeout (a billing run or an import of a million rows may take
  minutes), locks waited on up to DB_COMMAND_LOCK_TIMEOUT_MS (a batch job may
  queue behind another one, but not forever behind a stuck session), and a
  timeout ends the command with a one-line CommandError instead of a traceback.
"""

import functools
import logging

from django.conf import settings
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, OperationalError, connections
from django.db.backends.signals import connection_created
from django.http import HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger("billing_portal.db")

LOCK_NOT_AVAILABLE = "55P03"  # lock_timeout fired (or a NOWAIT lock was taken)
QUERY_CANCELED = "57014"  # statement_timeout fired (or the statement was cancelled)
BUSY_MESSAGE = "The database is busy with this record; nothing was changed. Try again in a moment."
RETRY_AFTER_SECONDS = 5


def timeout_code(error: BaseException) -> str | None:
    """LOCK_NOT_AVAILABLE or QUERY_CANCELED when ``error`` is PostgreSQL giving up on a
    lock wait or a statement; None for anything else (a lost connection, a constraint...)."""
    if not isinstance(error, OperationalError):
        return None
    code = getattr(error.__cause__, "pgcode", None) or getattr(error, "pgcode", None)
    return code if code in (LOCK_NOT_AVAILABLE, QUERY_CANCELED) else None


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


class DatabaseBusyMiddleware:
    """A view that hit lock_timeout or statement_timeout answers 503 "busy, nothing
    changed" instead of a 500. Its transaction was already rolled back by
    ``transaction.atomic`` on the way out, so the message is true."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        code = timeout_code(exception)
        if code is None:
            return None
        user = getattr(request, "user", None)
        logger.warning(
            "database busy (%s) on %s %s for user %s: %s",
            "lock timeout" if code == LOCK_NOT_AVAILABLE else "statement timeout", request.method,
            request.path, getattr(user, "pk", None), _first_line(exception),
        )
        return busy_response(request)


def busy_response(request) -> HttpResponse:
    try:
        body = render_to_string("503.html", {"message": BUSY_MESSAGE}, request=request)
    except Exception:  # the page must not fail because the database is in trouble
        logger.exception("the 503 page could not be rendered")
        body = BUSY_MESSAGE
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


# --- management commands ------------------------------------------------------------------------

def _batch_job_settings() -> list[tuple[str, int]]:
    return [("statement_timeout", 0), ("lock_timeout", settings.DB_COMMAND_LOCK_TIMEOUT_MS)]


def _apply(connection, values) -> None:
    """One round trip on the raw connection, like Django's own session set-up: these are
    settings of the session, not queries of the command (query counts stay the command's)."""
    calls = ", ".join(f"set_config('{name}', %s, false)" for name, _ in values)  # names are ours
    with connection.wrap_database_errors, connection.connection.cursor() as cursor:
        cursor.execute(f"SELECT {calls}", [str(int(value)) for _, value in values])


def _on_connect(sender, connection, **kwargs):
    if connection.vendor == "postgresql":
        _apply(connection, _batch_job_settings())


def long_running(handle):
    """Decorate a management command's ``handle``: statement_timeout 0 and the command
    lock_timeout for its connection and for every connection opened while it runs
    (an import's writer thread opens its own), both put back afterwards; a timeout
    becomes a CommandError that says what happened."""

    @functools.wraps(handle)
    def wrapper(command, *args, **options):
        connection = connections[DEFAULT_DB_ALIAS]
        postgres = connection.vendor == "postgresql"
        uid = f"long_running:{id(wrapper)}"
        if postgres:
            connection_created.connect(_on_connect, dispatch_uid=uid)
            if connection.connection is not None:  # already open (call_command, tests)
                _apply(connection, _batch_job_settings())
        try:
            return handle(command, *args, **options)
        except OperationalError as error:
            code = timeout_code(error)
            if code == LOCK_NOT_AVAILABLE:
                raise CommandError(
                    f"A row or lock this command needs was held by another session for more than "
                    f"{settings.DB_COMMAND_LOCK_TIMEOUT_MS} ms (DB_COMMAND_LOCK_TIMEOUT_MS); the transaction it "
                    f"was in was rolled back. Run it again. ({_first_line(error)})"
                ) from error
            if code == QUERY_CANCELED:
                raise CommandError(
                    f"A statement was cancelled; the transaction it was in was rolled back. Run it again. "
                    f"({_first_line(error)})"
                ) from error
            raise
        finally:
            if postgres:
                connection_created.disconnect(dispatch_uid=uid)
                _reset(connection)

    return wrapper


def _reset(connection) -> None:
    """Back to the values the connection started with (its -c options)."""
    if connection.connection is None or connection.needs_rollback:
        return  # closed, or a failed transaction (its rollback undoes the settings anyway)
    try:
        with connection.wrap_database_errors, connection.connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout; RESET lock_timeout")
    except DatabaseError as error:  # a dead connection: never hide the command's own outcome behind this
        logger.warning("could not reset the timeouts of a command's connection: %s", _first_line(error))
