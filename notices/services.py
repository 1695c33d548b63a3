"""Telling an account something: ``notify`` (one notice), ``notify_many`` (a list, one INSERT) and
``notify_each`` (one notice per row of a queryset, one INSERT … SELECT: runs that touch thousands
of accounts, such as a bulk price change).

Each writes the Notice rows in the caller's transaction, so they commit or roll back with the
change they are about, and queues their e-mails for after the commit (notices/email.py): to the
account's address, when it has one and has not turned that kind of notice to in-app only
(EmailOptOut). The address a notice's e-mail went to is kept on it (``emailed_to``).
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, CharField, DateTimeField, Exists, F, OuterRef, QuerySet, Value, When
from django.db.models.functions import Left
from django.utils import timezone

from accounts.models import Account
from notices.email import Letter, send_on_commit
from notices.models import EmailOptOut, Notice


@dataclass(frozen=True)
class Draft:
    """A notice to write: ``account`` is the Account row (its e-mail address, name and number are read
    from it, no query); ``link`` a path in the portal; ``dedupe_key`` for kinds that must not repeat."""

    account: Account
    kind: str
    subject: str
    body: str
    link: str = ""
    dedupe_key: str | None = None


def notify(account: Account, kind: str, *, subject: str, body: str, link: str = "",
           dedupe_key: str | None = None) -> Notice:
    """One notice, in the current transaction; its e-mail after the commit."""
    return notify_many([Draft(account, kind, subject, body, link, dedupe_key)])[0]


def notify_many(drafts: list[Draft]) -> list[Notice]:
    """The notices of ``drafts`` in one INSERT (and one read of the e-mail choices, when any of the
    accounts has an address); their e-mails after the commit."""
    if not drafts:
        return []
    with_address = {d.account.pk for d in drafts if d.account.email}
    opted_out = set()
    if with_address:
        opted_out = set(EmailOptOut.objects.filter(account_id__in=with_address, kind__in={d.kind for d in drafts})
                        .values_list("account_id", "kind"))
    now = timezone.now()
    notices, letters = [], []
    for draft in drafts:
        account = draft.account
        email = account.email if account.email and (account.pk, draft.kind) not in opted_out else ""
        notices.append(Notice(account=account, kind=draft.kind, subject=draft.subject[:200], body=draft.body,
                              link=draft.link, created_at=now, emailed_to=email, dedupe_key=draft.dedupe_key))
        if email:
            letters.append(Letter(email, account.name, account.number, Notice.Kind(draft.kind).label,
                                  draft.subject[:200], draft.body, draft.link))
    Notice.objects.bulk_create(notices, batch_size=1000)
    send_on_commit(letters)
    return notices


def notify_each(rows: QuerySet, *, kind: str, subject, body, link, account: str = "account") -> int:
    """One notice per row of ``rows`` (a queryset of any model), written by one INSERT … SELECT:
    ``account`` names the rows' relation to the account told; ``subject``, ``body`` and ``link`` are
    expressions over a row (Concat, F, Value...). The e-mail choice and address are read in the
    same statement; their e-mails leave after the commit. Returns how many notices were written."""
    opted_out = Exists(EmailOptOut.objects.filter(account_id=OuterRef(f"{account}_id"), kind=kind))
    text = CharField()
    columns = {
        "account_id": F(f"{account}_id"),
        "kind": Value(kind, text),
        "subject": Left(subject, 200),
        "body": body,
        "link": link,
        "created_at": Value(timezone.now(), DateTimeField()),
        "emailed_to": Case(When(opted_out, then=Value("", text)), default=F(f"{account}__email"), output_field=text),
    }
    aliases = {f"n{i}": expression for i, expression in enumerate(columns.values())}
    sql, params = rows.order_by().values(**aliases).query.sql_with_params()
    quote = connection.ops.quote_name
    names = ", ".join(quote(name) for name in columns)
    returned = ["account_id", "subject", "body", "link", "emailed_to"]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(Notice._meta.db_table)} ({names}) {sql} "
                       f"RETURNING {', '.join(quote(name) for name in returned)}", params)
        written = cursor.fetchall()
    emailed = [row for row in written if row[4]]
    if emailed:
        accounts = dict((pk, (name, number)) for pk, name, number in Account.objects.filter(
            pk__in={row[0] for row in emailed}).values_list("pk", "name", "number"))
        label = Notice.Kind(kind).label
        send_on_commit([Letter(email, *accounts[account_id], label, subject_text, body_text, link_text)
                        for account_id, subject_text, body_text, link_text, email in emailed])
    return len(written)
