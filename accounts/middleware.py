from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout

from accounts.models import Account, User


class SuspendedAccountLogoutMiddleware:
    """A suspended account's open sessions end at its next request.

    The auth backend already refuses to load such a user; this also clears the
    session cookie so the browser lands on the login page cleanly, and says why.
    Runs after MessageMiddleware (the message outlives the session it ends).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user_id = request.session.get(SESSION_KEY)
        if user_id and not request.user.is_authenticated:
            # Only this rare path pays for the query.
            suspended = User.objects.filter(pk=user_id, account__status=Account.Status.SUSPENDED).exists()
            logout(request)
            if suspended:
                messages.warning(request, "Your account is suspended, so you have been logged out.")
        return self.get_response(request)
