"""Which role a token's login needs for an endpoint: 403 ``forbidden`` otherwise, checked before
any object is looked up (so a refusal never tells whether an object exists). Which objects a
login may reach is accounts/permissions.py's rule (``managed_accounts``); a reachable-but-not-
yours object answers 404 from the endpoint's scoped queryset."""

from rest_framework.permissions import BasePermission


class ResellerOnly(BasePermission):
    """A reseller's token (its Customers pages): a customer's and an admin's get 403."""

    message = "This is for resellers: a customer has no accounts below it, and an admin's token uses /api/v1/admin/."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.account_id is not None and user.account.is_reseller)


class AdminOnly(BasePermission):
    """An admin's token (the operator's): a reseller's and a customer's get 403."""

    message = "This is for the operator's admins."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_portal_admin)
