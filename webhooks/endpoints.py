"""The endpoints an account registers (the Webhooks page): made with a secret shown once, listed,
disabled or enabled again, deleted; who sees which (``endpoints_for``: an admin the operator's,
a reseller or a customer its own account's); each change in the audit trail.

URLs: HTTPS. Plain http is accepted only for localhost (127.0.0.1, ::1) and only where
WEBHOOKS_ALLOW_LOCAL_HTTP is on (default: DEBUG; the tests turn it on for their receiver). An
address that is an IP literal of a private, loopback or link-local network is refused under the
same rule (a receiver inside the portal's own network is not the account's to reach); a host name
is checked when each delivery resolves it (webhooks/addresses.py)."""

import secrets
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from accounts.models import acting_user
from audit.record import record
from core.ownership import operator_or_own
from webhooks.addresses import is_internal, local_allowed
from webhooks.models import Delivery, Endpoint, EventType

SCHEME = "whsec_"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
MAX_ENDPOINTS = 10  # per account


class EndpointRefused(Exception):
    """Nothing was saved; ``field`` names the form field to blame."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def endpoints_for(user):
    """The endpoints ``user`` may see and change: the operator's for an admin, its account's otherwise."""
    return operator_or_own(Endpoint.objects.all(), user)


def deliveries_for(user):
    return Delivery.objects.filter(endpoint__in=endpoints_for(user))


def check_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise EndpointRefused("Enter the URL that receives the events.", field="url")
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError:
        raise EndpointRefused("Enter a valid URL, e.g. https://example.com/hooks/did-portal.", field="url") from None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    local = host in LOCAL_HOSTS or is_internal(host)
    if local and not local_allowed():
        raise EndpointRefused("Enter a public address: this one is inside a private network.", field="url")
    if parts.scheme != "https" and not (host in LOCAL_HOSTS and local_allowed()):
        raise EndpointRefused("The URL must start with https://.", field="url")
    return url


def create_endpoint(*, user, url: str, events: list[str], by=None) -> tuple[Endpoint, str]:
    """A new endpoint of ``user``'s account (an admin: the operator's): (its row, the secret to show once)."""
    if not user.is_portal_admin and user.account_id is None:
        raise EndpointRefused("Webhooks belong to the operator's admins and to accounts.")
    url = check_url(url)
    events = [name for name in EventType.values if name in set(events or ())]
    if not events:
        raise EndpointRefused("Choose at least one event.", field="events")
    account_id = None if user.is_portal_admin else user.account_id
    secret = SCHEME + secrets.token_urlsafe(32)
    with transaction.atomic():
        if endpoints_for(user).count() >= MAX_ENDPOINTS:
            raise EndpointRefused(f"An account has at most {MAX_ENDPOINTS} endpoints: delete one first.")
        row = Endpoint.objects.create(account_id=account_id, url=url, events="," + ",".join(events) + ",",
                                      secret=secret, created_by=acting_user(by or user))
        record("webhook.created", account=row.account, obj=row, by=by or user,
               summary=f"Webhook endpoint {url} added for {', '.join(events)}")
    return row, secret


def set_active(endpoint: Endpoint, active: bool, *, by=None) -> bool:
    """Disable (no new deliveries; pending ones fail at their next attempt) or enable it again."""
    with transaction.atomic():
        done = bool(Endpoint.objects.filter(pk=endpoint.pk, active=not active).update(active=active))
        if done:
            record("webhook.enabled" if active else "webhook.disabled", account=endpoint.account, obj=endpoint, by=by,
                   summary=f"Webhook endpoint {endpoint.url} {'enabled' if active else 'disabled'}",
                   changes={"active": (not active, active)})
    return done


def delete_endpoint(endpoint: Endpoint, *, by=None) -> None:
    """Delete it with its deliveries (the events stay for the other endpoints that had them)."""
    with transaction.atomic():
        record("webhook.deleted", account=endpoint.account, obj=endpoint, by=by,
               summary=f"Webhook endpoint {endpoint.url} deleted")
        endpoint.delete()


def resend(delivery: Delivery, *, by=None) -> None:
    from webhooks.delivery import resend as queue_again

    with transaction.atomic():
        record("webhook.resent", account=delivery.endpoint.account, obj=delivery.endpoint, by=by,
               summary=f"Webhook {delivery.event.type} {delivery.event_id} re-sent to {delivery.endpoint.url}")
        queue_again(delivery, by=by)
