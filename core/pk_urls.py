"""Row links without one ``reverse()`` per row: a list page reverses each URL
pattern once and fills in each row's pk (``{% url %}`` costs about 40 µs a call,
three links a row on the DID list)."""

from typing import Callable

from django.urls import reverse

_MARK = 9_876_543_210  # an int no table reaches; the converter writes it as these digits


def pk_url(name: str) -> Callable[[object], str]:
    """``pk_url("dids:edit")(7) == reverse("dids:edit", args=[7])`` for a pattern whose only
    argument is an ``<int:...>`` pk."""
    head, mark, tail = reverse(name, args=[_MARK]).rpartition(str(_MARK))
    if not mark:
        raise ValueError(f"{name} does not take a pk")
    return lambda pk: f"{head}{pk}{tail}"
