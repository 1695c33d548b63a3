"""Demo data for `make run`: an admin, resellers with balances, a customer,
providers and a few hundred DIDs. Safe to run twice (it does nothing the second time)."""

import random
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Account, User
from accounts.services import account_create
from billing.ledger.funds import add_funds
from core.money import money
from dids.models import DID, Provider

DEMO_PASSWORD = "demo-pass-2026"
LOGINS = [
    ("admin", "admin", "the operator"),
    ("reseller1", "reseller", "Reseller One, balance 100.0000"),
    ("reseller2", "reseller", "Reseller Two, balance 50.0000"),
    ("customer1", "customer", "Customer One under Reseller One, balance 30.0000"),
]

# (country, calling-code prefix, city, province, number length after the code)
REGIONS = [
    ("US", "1", "New York", "NY", 10),
    ("GB", "44", "London", "England", 10),
    ("DE", "49", "Berlin", "Berlin", 10),
    ("FR", "33", "Paris", "Ile-de-France", 9),
    ("IN", "91", "Ahmedabad", "Gujarat", 10),
    ("HK", "852", "Hong Kong", "Hong Kong Island", 8),
    ("AU", "61", "Sydney", "NSW", 9),
    ("JP", "81", "Tokyo", "Tokyo", 9),
]


class Command(BaseCommand):
    help = "Load demo data: logins, providers and a few hundred DIDs."

    def add_arguments(self, parser):
        parser.add_argument("--dids", type=int, default=300, help="how many generated DIDs (default 300)")

    def handle(self, *args, **options):
        if User.objects.filter(username="admin").exists():
            self.stdout.write("Demo data already loaded.")
        else:
            with transaction.atomic():
                self._load(options["dids"])
        self._print_logins()

    def _load(self, count: int) -> None:
        admin = User.objects.create_superuser("admin", "admin@example.com", DEMO_PASSWORD)
        default = Provider.objects.get(name="default provider")
        acme = Provider.objects.create(name="Acme Telecom")

        r1 = account_create(name="Reseller One", kind=Account.Kind.RESELLER, username="reseller1",
                            password=DEMO_PASSWORD, email="r1@example.com")
        r2 = account_create(name="Reseller Two", kind=Account.Kind.RESELLER, username="reseller2",
                            password=DEMO_PASSWORD, credit_limit=Decimal("10"), email="r2@example.com")
        c1 = account_create(name="Customer One", kind=Account.Kind.CUSTOMER, username="customer1",
                            password=DEMO_PASSWORD, parent=r1, email="c1@example.com")
        for account, amount in ((r1, "100"), (r2, "50"), (c1, "30")):
            add_funds(account_id=account.pk, amount=Decimal(amount), by=admin, description="Demo opening balance")

        # The seed's two examples, exactly as the manual shows them.
        DID.objects.create(
            number="+18555801802", provider=default, country="HK", city="Ahmedabad", province="Gujarat",
            buy_cost=money(5), status=DID.Status.ACTIVE, connection_cost=money(5), grace_time=6,
            cost_per_min=money(1), initial_increment=6, increment=6, setup_fee=money(5), monthly_fee=money(20),
            call_timeout=30, billing_type=DID.BillingType.ONE_TIME, billing_days=28, concurrent_calls=25,
        )
        DID.objects.create(
            number="+81123456789", provider=default, country="US", buy_cost=money(5), setup_fee=money(1),
            monthly_fee=money(5), billing_type=DID.BillingType.RECURRING, billing_days=28,
        )

        rng = random.Random(2026)
        made, seen = [], {"+18555801802", "+81123456789"}
        while len(made) < count:
            country, code, city, province, length = rng.choice(REGIONS)
            number = "+" + code + str(rng.randint(2, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(length - 1))
            if number in seen:
                continue
            seen.add(number)
            monthly = Decimal(rng.choice(["1", "2.5", "3", "4.99", "7.5", "10", "15"]))
            made.append(DID(
                number=number, provider=rng.choice([default, acme]), country=country, city=city, province=province,
                buy_cost=money(monthly * Decimal("0.6")), setup_fee=money(rng.choice([0, 1, 2, 5])),
                monthly_fee=money(monthly), cost_per_min=money(Decimal("0.01") * rng.randint(0, 5)),
                status=DID.Status.ACTIVE if rng.random() > 0.1 else DID.Status.INACTIVE,
                billing_type=DID.BillingType.RECURRING if rng.random() > 0.2 else DID.BillingType.ONE_TIME,
                billing_days=rng.choice([28, 30, 31]),
            ))
        DID.objects.bulk_create(made, batch_size=500)

    def _print_logins(self) -> None:
        self.stdout.write(self.style.SUCCESS("Demo logins (password for all: %s):" % DEMO_PASSWORD))
        for username, role, what in LOGINS:
            self.stdout.write(f"  {username:<10} {role:<9} {what}")
