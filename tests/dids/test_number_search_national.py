"""The DID list's number search, and so the bulk actions that act on "all DIDs matching the
search", read a number typed in national form in the chosen Country (dids/numbers.py,
number_search): '(855) 580' with United States starts +1 855 580; '020 7946 0018' with the
United Kingdom is found although the stored number has no trunk 0."""

import pytest
from django.urls import reverse

from dids.models import DID
from dids.numbers import number_search
from tests.factories import DIDFactory


@pytest.fixture
def dids(db):
    for number, country in (("+18555801802", "US"), ("+18555809999", "US"), ("+16465550111", "US"),
                            ("+442079460018", "GB"), ("+442071230000", "GB"), ("+6465550111", "NZ")):
        DIDFactory(number=number, country=country)


def rows(client, **query):
    return sorted(d.number for d in client.get(reverse("dids:list"), query).context["page"].rows)


def test_starts_with_a_national_start_in_its_country(admin_client, dids):
    # Without the country, "(855) 580" meant +855 580... (Cambodia) and found nothing.
    assert rows(admin_client, number="(855) 580", match="starts", country="US") == ["+18555801802", "+18555809999"]
    assert rows(admin_client, number="020 7946", match="starts", country="GB") == ["+442079460018"]
    assert rows(admin_client, number="011 44 20", match="starts", country="GB") == []  # 011 is not the UK's prefix
    assert rows(admin_client, number="646", match="starts", country="US") == ["+16465550111"]  # not New Zealand's
    assert rows(admin_client, number="646", match="starts") == ["+6465550111"]  # no country: digits start with the code


def test_contains_finds_a_national_number_with_its_trunk_prefix(admin_client, dids):
    assert rows(admin_client, number="020 7946 0018", country="GB") == ["+442079460018"]
    assert rows(admin_client, number="580 1802", country="US") == ["+18555801802"]


def test_a_bulk_action_on_all_matching_uses_the_same_reading(admin_client, dids):
    response = admin_client.post(reverse("dids:bulk"), {"action": "deactivate", "scope": "all", "confirm": "1",
                                                          "q": "number=(855) 580&match=starts&country=US"})
    assert response.status_code == 302
    assert sorted(DID.objects.filter(status="inactive").values_list("number", flat=True)) == \
        ["+18555801802", "+18555809999"]


@pytest.mark.parametrize("typed, country, starts, digits", [
    ("(855) 580", "US", True, "1855580"),
    ("1 855", "US", True, "1855"),
    ("+44 20", "US", True, "4420"),
    ("011 44 20", "US", True, "4420"),
    ("03-1234", "JP", True, "8131234"),
    ("020 7946", "GB", False, "207946"),
    ("580-1803", "US", False, "5801803"),  # the middle of a number: nothing added
    ("(855) 580", None, True, "855580"),
])
def test_number_search_digits(typed, country, starts, digits):
    assert number_search(typed, country, starts=starts) == digits
