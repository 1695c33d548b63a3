"""Shared by the audit tests."""

from audit.models import AuditEntry

IP = "203.0.113.7"  # the test client's address in these tests (REMOTE_ADDR)


def rows(**filters) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(**filters).order_by("id"))


def only(action: str, **filters) -> AuditEntry:
    found = rows(action=action, **filters)
    assert len(found) == 1, [(r.action, r.summary) for r in rows()]
    return found[0]


def assert_ui(row: AuditEntry, user, ip: str = IP) -> None:
    assert (row.source, row.ip, row.actor_id, row.actor_name, row.on_behalf_of_id) == (
        "ui", ip, user.pk, user.get_username(), None)


def assert_command(row: AuditEntry) -> None:
    assert (row.source, row.ip, row.actor_id, row.actor_name, row.on_behalf_of_id) == ("command", None, None, "", None)
