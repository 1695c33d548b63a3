"""python manage.py reset_two_factor USERNAME

Turns two-factor login off for one user who lost the phone and the recovery codes: the
authenticator app and the recovery codes are deleted, the audit trail says so (source
"command"). The user logs in with the password alone and sets it up again (an admin must,
when REQUIRE_2FA_FOR_ADMINS is on). Check who is asking before running it.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts import two_factor


class Command(BaseCommand):
    help = "Turn two-factor login off for a user who lost the phone and the recovery codes."

    def add_arguments(self, parser):
        parser.add_argument("username", help="the login (exactly, or in any case when only one login matches)")

    def handle(self, *args, username, **options):
        users = get_user_model().objects
        username = username.strip()
        user = users.filter(username=username).first()
        if user is None:  # any case, when only one login matches
            matches = list(users.filter(username__iexact=username)[:2])
            if len(matches) != 1:
                raise CommandError(f"No user named {username}." if not matches
                                   else f"Several logins match {username} in other cases: type it exactly.")
            user = matches[0]
        name = user.get_username()
        if not two_factor.disable(user, summary=f"Two-factor login of {name} reset by manage.py reset_two_factor"):
            self.stdout.write(f"{name} has no two-factor login: nothing changed.")
            return
        self.stdout.write(f"Two-factor login of {name} is off: the next login asks for the password only.")
