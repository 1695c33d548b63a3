"""Whose things a login sees where the operator owns some and each account its own (API tokens,
webhook endpoints): an admin's are the operator's (no account), anybody else's its account's.
One rule for every such model; the model needs a nullable ``account`` foreign key."""


def operator_or_own(queryset, user):
    """``queryset`` narrowed to what ``user`` may see and change: the operator's rows for an
    admin, its account's for an account's login, nothing for a login with neither."""
    if user.is_portal_admin:
        return queryset.filter(account__isnull=True)
    if user.account_id is None:
        return queryset.none()
    return queryset.filter(account_id=user.account_id)
