"""``Authorization: Bearer <token>``: the API's only authentication (no session, so no CSRF).

A live token (api/tokens.py ``live_token``) authenticates as its login: ``request.user`` is that
user, so every rule of accounts/permissions.py applies as on the pages, and audit rows name it
(their source is "API": api/middleware.py). Refusals:

- no token, or an unknown, revoked or expired one, or one whose login is deactivated: 401 with
  ``WWW-Authenticate: Bearer realm="api"`` (and ``error="invalid_token"`` when a token was sent);
- a token of a suspended account: 403 ``account-suspended`` (the token is good, the account may
  not act: reactivating the account brings it back, no new token needed).

The last use (time and client address, accounts.security.client_ip) is written at most once a minute.
"""

from rest_framework import authentication, exceptions

from accounts.models import Account
from api import tokens
from api.exceptions import AccountSuspended
from audit.middleware import request_ip

REALM = 'Bearer realm="api"'


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "bearer"

    def authenticate(self, request):
        scheme, _, secret = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != self.keyword:
            return None  # no credentials: NotAuthenticated (401) from IsAuthenticated
        if not secret.strip():
            raise exceptions.AuthenticationFailed(tokens.Refusal.MISSING)
        token, why = tokens.live_token(secret.strip())
        if token is None:
            raise exceptions.AuthenticationFailed(why)
        user = token.user
        account = user.account if user.account_id else None
        if account is not None and account.status == Account.Status.SUSPENDED:
            raise AccountSuspended()
        tokens.note_use(token, request_ip(request))
        return user, token

    def authenticate_header(self, request):
        if request.META.get("HTTP_AUTHORIZATION", "").partition(" ")[0].lower() == self.keyword:
            return f'{REALM}, error="invalid_token"'
        return REALM
