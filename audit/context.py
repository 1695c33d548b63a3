"""Who is acting and from where, for the audit rows written during one request or command.

A context variable, so each request (thread) and each command has its own. The
middleware (audit/middleware.py) sets source "ui", the client's address and the
request for every web request and resets it afterwards; outside a request (management
commands, the billing run, a shell) the source is "command" and the actor is the
system (None). The request's user and the "logged in as" session key are read only
when a row is written, so a request that changes nothing pays nothing.
"""

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass, replace

UI, COMMAND, API, SYSTEM = "ui", "command", "api", "system"

# The session key of an admin's "log in as": {"id", "username", "hash", "as_user"} of the admin.
LOGIN_AS_SESSION_KEY = "audit_login_as"


@dataclass(frozen=True)
class Context:
    source: str = COMMAND
    ip: str | None = None
    request: object | None = None  # read lazily: request.user, request.session
    actor: object | None = None  # a user set explicitly (tests, a command acting for someone)
    on_behalf_of_id: int | None = None
    on_behalf_of_name: str = ""


_current: contextvars.ContextVar[Context] = contextvars.ContextVar("audit_context", default=Context())


def current() -> Context:
    return _current.get()


@contextmanager
def using(**fields):
    """Run a block with some fields of the context replaced (source, ip, actor...)."""
    token = _current.set(replace(current(), **fields))
    try:
        yield current()
    finally:
        _current.reset(token)


def login_as_admin(request) -> dict | None:
    """The admin behind a "log in as" session, as stored by audit.views.LoginAsView, or None."""
    session = getattr(request, "session", None)
    data = session.get(LOGIN_AS_SESSION_KEY) if session is not None else None
    return data if isinstance(data, dict) else None


def resolved() -> Context:
    """The current context with the request's user and login-as admin read now, and no
    request: for work handed to another thread (the DID import's background writer)."""
    ctx = current()
    request = ctx.request
    if request is None:
        return ctx
    user = getattr(request, "user", None)
    actor = user if getattr(user, "is_authenticated", False) else ctx.actor
    admin = login_as_admin(request)
    return replace(ctx, request=None, actor=actor, on_behalf_of_id=admin["id"] if admin else None,
                   on_behalf_of_name=admin.get("username", "") if admin else "")


def bound(function):
    """``function`` wrapped to run in (a resolved copy of) the caller's context, in any thread."""
    ctx = resolved()

    def run(*args, **kwargs):
        token = _current.set(ctx)
        try:
            return function(*args, **kwargs)
        finally:
            _current.reset(token)

    return run
