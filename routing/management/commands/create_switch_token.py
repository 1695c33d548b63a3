"""python manage.py create_switch_token NAME

Creates a token for the softswitch NAME and prints it, once: only its digest is stored.
"""

from django.core.management.base import BaseCommand, CommandError

from routing.models import SwitchToken
from routing.tokens import create_token


class Command(BaseCommand):
    help = "Create a token a softswitch presents to /routing/lookup; prints it once."

    def add_arguments(self, parser):
        parser.add_argument("name", help="which switch uses it, e.g. fs1.example.net")

    def handle(self, *args, name, **options):
        name = name.strip()
        if not name or len(name) > 100:
            raise CommandError("The name is 1 to 100 characters.")
        if SwitchToken.objects.filter(name__iexact=name).exists():
            raise CommandError(f"A token named {name} exists (it may be revoked): choose another name.")
        _, plain = create_token(name)
        self.stderr.write(f"Token for {name} (shown once; only its digest is stored):")
        self.stdout.write(plain)
