"""A notice's e-mail: its text, and sending it once the transaction that wrote the notice commits.

``transaction.on_commit`` runs the callback only when the outermost transaction commits: a change
rolled back (or a savepoint rolled back around the notice) sends nothing, a committed one sends
each e-mail once (core/mail.py). A mail server that is down never undoes a charge or a billing
batch; the failure is logged and the notice stays in the portal.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse

from core.mail import send_after_commit
from core.phone import numbers_shown


@dataclass(frozen=True)
class Letter:
    """What one e-mail says: to whom (one address), about which account, the notice's words."""

    to: str
    account_name: str
    account_number: str
    kind_label: str
    subject: str
    body: str
    link: str = ""

    def message(self) -> EmailMessage:
        base = settings.PORTAL_BASE_URL.rstrip("/")
        parts = [f"{self.account_name} ({self.account_number}),", "", numbers_shown(self.body)]
        if self.link:
            parts += ["", f"{base}{self.link}"]
        parts += ["", "--", f'"{self.kind_label}" notices come to you by e-mail. Choose which do: '
                            f"{base}{reverse('notices:settings')}"]
        return EmailMessage(numbers_shown(self.subject), "\n".join(parts) + "\n", settings.DEFAULT_FROM_EMAIL, [self.to])


def send_on_commit(letters: list[Letter]) -> None:
    """Send ``letters`` once the current transaction commits (core/mail.py)."""
    send_after_commit([letter.message() for letter in letters])  # built now: the callback reads no database
