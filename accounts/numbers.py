"""Generated 10-digit account numbers (accounts and providers), like the seed's 3673942894."""

import secrets


def random_account_number() -> str:
    """Ten digits, never starting with 0 so it survives spreadsheets."""
    return str(secrets.randbelow(9_000_000_000) + 1_000_000_000)


def unique_account_number(model, field: str = "number", attempts: int = 20) -> str:
    """A number not yet used in ``model.field``. The unique constraint is the real guard."""
    for _ in range(attempts):
        candidate = random_account_number()
        if not model.objects.filter(**{field: candidate}).exists():
            return candidate
    raise RuntimeError("could not find a free account number")
