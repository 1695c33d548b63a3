"""python manage.py create_switch_token NAME [--country XX]

Creates a token for the softswitch NAME and prints it, once: only its digest is stored.
--country: the country of the called numbers it sends without a calling code.
"""

from django.core.management.base import BaseCommand, CommandError

from django_countries import countries

from routing.models import SwitchToken
from routing.tokens import create_token


class Command(BaseCommand):
    help = "Create a token a softswitch presents to /routing/lookup; prints it once."

    def add_arguments(self, parser):
        parser.add_argument("name", help="which switch uses it, e.g. fs1.example.net")
        parser.add_argument("--country", default="", help="ISO code (US) of the called numbers it sends without a "
                                                          "calling code, e.g. a US carrier's 10 digits")

    def handle(self, *args, name, country, **options):
        country = country.strip().upper()
        if country and country not in countries:
            raise CommandError(f"--country {country}: not a two-letter ISO country code (US, GB, DE...).")
        name = name.strip()
        if not name or len(name) > 100:
            raise CommandError("The name is 1 to 100 characters.")
        if SwitchToken.objects.filter(name__iexact=name).exists():
            raise CommandError(f"A token named {name} exists (it may be revoked): choose another name.")
        _, plain = create_token(name, country=country)
        self.stderr.write(f"Token for {name} (shown once; only its digest is stored):")
        self.stdout.write(plain)
