"""Marking an account's notices read: one by opening it, or all at once. Always by POST (the views);
a notice of another account is not found."""

from django.db import transaction
from django.utils import timezone

from notices.models import Notice


def open_notice(*, account_id: int, notice_id) -> Notice:
    """Mark the account's notice read (once: the first reading time stays) and return it.
    Raises Notice.DoesNotExist for a notice that is not the account's."""
    with transaction.atomic():
        notice = Notice.objects.get(pk=notice_id, account_id=account_id)
        if notice.read_at is None:
            notice.read_at = timezone.now()
            Notice.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=notice.read_at)
        return notice


def mark_all_read(*, account_id: int) -> int:
    """Mark every unread notice of the account read; returns how many were unread."""
    return Notice.objects.filter(account_id=account_id, read_at__isnull=True).update(read_at=timezone.now())


def unread_count(account_id: int, cap: int) -> int:
    """The account's unread notices, counted up to ``cap`` + 1 (the header shows "99+"): one COUNT
    over the unread index, however many there are."""
    return Notice.objects.filter(account_id=account_id, read_at__isnull=True).order_by()[: cap + 1].count()
