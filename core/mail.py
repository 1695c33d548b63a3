"""E-mail sent once the transaction that decided it commits: nothing for a change rolled back, each
message once for one committed. A mail server that is down or hangs never undoes the change: the
failure is logged ("portal.mail") and not retried.

``in_background``: in a thread of its own, so that the answer does not wait for the mail server
(the password reset, whose answer must take the same time whether an e-mail leaves or not). Not a
daemon thread: a worker that exits waits for it. ``wait_for_mail`` waits for those threads (tests).
"""

import logging
import threading

from django.core.mail import EmailMessage, get_connection
from django.db import transaction

logger = logging.getLogger("portal.mail")
SMTP_TIMEOUT_S = 30  # a mail server that hangs must not keep a request or a thread forever

_sending: list[threading.Thread] = []
_sending_lock = threading.Lock()


def send_after_commit(messages: list[EmailMessage], *, in_background: bool = False) -> None:
    """Send ``messages`` once the current transaction commits (at once outside a transaction)."""
    if not messages:
        return
    transaction.on_commit(lambda: (_start if in_background else _send)(messages), robust=True)


def _send(messages: list[EmailMessage]) -> None:
    try:
        get_connection(timeout=SMTP_TIMEOUT_S).send_messages(messages)
    except Exception:  # the change is committed: report, go on
        logger.exception("%d e-mail(s) not sent", len(messages))


def _start(messages: list[EmailMessage]) -> None:
    thread = threading.Thread(target=_send, args=(messages,), name="mail-after-commit")
    with _sending_lock:
        _sending[:] = [t for t in _sending if t.is_alive()]
        _sending.append(thread)
    thread.start()


def wait_for_mail(timeout: float = 10) -> None:
    """Wait until the e-mails handed to background threads so far are sent."""
    with _sending_lock:
        threads = list(_sending)
    for thread in threads:
        thread.join(timeout)
