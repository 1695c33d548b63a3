from django.contrib.auth.backends import ModelBackend

from accounts.models import User


class PortalBackend(ModelBackend):
    """Model backend that loads the user's account with the user (one query per request)
    and refuses logins of suspended accounts."""

    def user_can_authenticate(self, user) -> bool:
        if not super().user_can_authenticate(user):
            return False
        return user.account_id is None or user.account.is_active

    def get_user(self, user_id):
        try:
            user = User.objects.select_related("account").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
