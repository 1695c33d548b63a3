from django.contrib.auth import logout


class SuspendedAccountLogoutMiddleware:
    """A suspended account's open sessions end at its next request.

    The auth backend already refuses to load such a user; this also clears the
    session cookie so the browser lands on the login page cleanly.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.session.get("_auth_user_id") and not request.user.is_authenticated:
            logout(request)
        return self.get_response(request)
