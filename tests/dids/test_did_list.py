import pytest
from django.urls import reverse

from dids.models import DID
from tests.factories import DIDFactory, ProviderFactory


def test_empty_list_says_no_records(admin_client, db):
    html = admin_client.get(reverse("dids:list")).content.decode()
    assert "No Records" in html


def test_counter_uses_the_seeds_wording(admin_client, db):
    DIDFactory.create_batch(30)
    response = admin_client.get(reverse("dids:list"))
    assert response.context["page"].counter == "1 - 25 of 30 Records"
    response = admin_client.get(reverse("dids:list"), {"page": 2})
    assert "26 - 30 of 30 Records" in response.content.decode()


def test_counter_has_thousands_separators():
    from core.listing import ListPage

    assert ListPage(rows=[1] * 25, number=1, per_page=25, total=1234, sort="number").counter == "1 - 25 of 1,234 Records"
    assert ListPage(rows=[1] * 9, number=50, per_page=25, total=1234, sort="number").counter == "1,226 - 1,234 of 1,234 Records"


def test_page_out_of_range_or_garbage_shows_a_real_page(admin_client, db):
    DIDFactory.create_batch(3)
    for page in ("99", "-1", "abc", "0"):
        response = admin_client.get(reverse("dids:list"), {"page": page})
        assert response.status_code == 200
        assert response.context["page"].counter == "1 - 3 of 3 Records"


def test_search_by_number_contains_and_starts_with(admin_client, db):
    DIDFactory(number="+18555801802")
    DIDFactory(number="+12025550199")
    DIDFactory(number="+81123456789")
    rows = lambda **q: [d.number for d in admin_client.get(reverse("dids:list"), q).context["page"].rows]  # noqa: E731
    assert rows(number="580") == ["+18555801802"]
    assert rows(number="+1 855", match="starts") == ["+18555801802"]
    assert rows(number="81", match="starts") == ["+81123456789"]
    assert sorted(rows(number="1", match="starts")) == ["+12025550199", "+18555801802"]


def test_search_by_country_city_province_provider_status_holder(admin_client, reseller_user):
    other = ProviderFactory(name="Acme")
    a = DIDFactory(country="HK", city="Ahmedabad", province="Gujarat")
    b = DIDFactory(country="US", city="Boston", provider=other, status=DID.Status.INACTIVE)
    c = DIDFactory(country="US", holder=reseller_user.account)
    rows = lambda **q: {d.pk for d in admin_client.get(reverse("dids:list"), q).context["page"].rows}  # noqa: E731
    assert rows(country="HK") == {a.pk}
    assert rows(city="ahmed") == {a.pk}
    assert rows(province="Gujarat") == {a.pk}
    assert rows(provider=other.pk) == {b.pk}
    assert rows(status="inactive") == {b.pk}
    assert rows(holder=reseller_user.account.number) == {c.pk}
    assert rows(holder="none") == {a.pk, b.pk}
    assert rows(country="US", status="active") == {c.pk}


def test_sorting_uses_the_allow_list_only(admin_client, db):
    DIDFactory(number="+12025550001", monthly_fee="3")
    DIDFactory(number="+12025550002", monthly_fee="1")
    numbers = lambda sort: [d.number for d in admin_client.get(reverse("dids:list"), {"sort": sort}).context["page"].rows]  # noqa: E731
    assert numbers("monthly_fee") == ["+12025550002", "+12025550001"]
    assert numbers("-monthly_fee") == ["+12025550001", "+12025550002"]
    # Anything else falls back to the default order and never reaches SQL.
    for evil in ("password", "holder__user__password", "number; DROP TABLE dids_did", "-id'--"):
        response = admin_client.get(reverse("dids:list"), {"sort": evil})
        assert response.status_code == 200
        assert response.context["page"].sort == "number"


def test_query_count_is_the_same_for_3_and_60_rows(admin_client, django_assert_max_num_queries, reseller_user):
    # session, user, count, page, and the page's suspended holders: 6 however many rows.
    DIDFactory.create_batch(3, holder=reseller_user.account)
    with django_assert_max_num_queries(6) as small:
        admin_client.get(reverse("dids:list"))
    DIDFactory.create_batch(57, holder=reseller_user.account)
    with django_assert_max_num_queries(6) as large:
        admin_client.get(reverse("dids:list"), {"sort": "provider", "country": "US"})
    assert len(small.captured_queries) == len(large.captured_queries)
