"""Test data in one place."""

from decimal import Decimal

import factory

from accounts.models import Account, User
from core.money import money
from dids.models import DID, Provider

PASSWORD = "test-pass-2026"


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    name = factory.Sequence(lambda n: f"Carrier {n}")


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n}")
    kind = Account.Kind.RESELLER


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    account = factory.SubFactory(AccountFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def make_admin(username="admin") -> User:
    return User.objects.create_superuser(username, f"{username}@example.com", PASSWORD)


def make_account_user(kind=Account.Kind.RESELLER, parent=None, name=None, **account_fields) -> User:
    account = AccountFactory(kind=kind, parent=parent, **({"name": name} if name else {}), **account_fields)
    return UserFactory(account=account, username=f"{kind}{account.pk}")


_numbers = iter(range(2025550000, 2025559999))


class DIDFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DID

    number = factory.LazyFunction(lambda: f"+1{next(_numbers)}")
    provider = factory.LazyFunction(lambda: Provider.objects.get_or_create(
        name="default provider", defaults={"number": "3673942894"})[0])
    country = "US"
    buy_cost = money(Decimal("1"))
    setup_fee = money(Decimal("5"))
    monthly_fee = money(Decimal("20"))
    billing_days = 28
