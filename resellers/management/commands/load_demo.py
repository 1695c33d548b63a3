"""Demo data for `make run`: an admin, resellers with balances, a customer,
providers, a few hundred DIDs (valid numbers of their cities) and a few sales made by the real
purchase service, so every role's home page and lists have something to show. Safe to run twice
(it does nothing the second time)."""

import random
from decimal import Decimal

import phonenumbers

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Account, User
from accounts.services import account_create
from billing.ledger.funds import add_funds
from billing.subscriptions.pool import pool_for
from billing.subscriptions.purchase import purchase_did
from core.money import money
from dids.models import DID, Provider

DEMO_PASSWORD = "demo-pass-2026"
LOGINS = [
    ("admin", "admin", "the operator"),
    ("reseller1", "reseller", "Reseller One: 100.0000 paid in, 6 DIDs, sells to Customer One"),
    ("reseller2", "reseller", "Reseller Two: 50.0000 paid in, 3 DIDs"),
    ("customer1", "customer", "Customer One under Reseller One: 30.0000 paid in, 2 DIDs"),
]

# (country, the city's numbers' start with the calling code, city, province, digits that follow):
# real area codes, so the numbers read as their country writes them (+1 212-555-0142).
REGIONS = [
    ("US", "1212", "New York", "NY", 7),
    ("GB", "4420", "London", "England", 8),
    ("DE", "4930", "Berlin", "Berlin", 8),
    ("FR", "331", "Paris", "Ile-de-France", 8),
    ("IN", "9179", "Ahmedabad", "Gujarat", 8),
    ("HK", "8522", "Hong Kong", "Hong Kong Island", 7),
    ("AU", "612", "Sydney", "NSW", 8),
    ("JP", "813", "Tokyo", "Tokyo", 8),
]
# Sales made with the purchase service: (buyer, how many), the cheapest Active Recurring DIDs of its seller.
SALES = [("reseller1", 6), ("reseller2", 3), ("customer1", 2)]


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
            self._sell()  # each purchase its own transaction, as a user's: the lock order is per purchase
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
            country, start, city, province, length = rng.choice(REGIONS)
            number = "+" + start + str(rng.randint(2, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(length - 1))
            if number in seen or not phonenumbers.is_valid_number(phonenumbers.parse(number)):
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

    def _sell(self) -> None:
        """A few numbers bought the way a user buys them (the customer from its reseller's holdings)."""
        for username, count in SALES:
            user = User.objects.get(username=username)
            buyer = user.account
            offered = pool_for(buyer).filter(billing_type=DID.BillingType.RECURRING).order_by(
                "monthly_fee", "setup_fee", "number")
            for did in list(offered[:count]):
                # A reseller resells at twice the operator's monthly price (its SELL COST, as typed on Purchase).
                markup = {"sell_price": did.monthly_fee.amount * 2} if buyer.kind == Account.Kind.RESELLER else {}
                purchase_did(buyer_id=buyer.pk, did_id=did.pk, purchase_key=f"demo-{buyer.pk}-{did.pk}", by=user,
                             **markup)

    def _print_logins(self) -> None:
        self.stdout.write(self.style.SUCCESS("Demo logins (password for all: %s):" % DEMO_PASSWORD))
        for username, role, what in LOGINS:
            self.stdout.write(f"  {username:<10} {role:<9} {what}")
