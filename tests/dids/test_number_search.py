"""Searching numbers: "contains" needs 3 digits (what the trigram index serves);
on PostgreSQL both searches are served by their indexes."""

import pytest
from django.db import connection
from django.urls import reverse

from dids.filters import DIDSearchForm
from dids.models import DID
from tests.factories import DIDFactory


def test_contains_with_fewer_than_3_digits_asks_for_more(admin_client, db):
    response = admin_client.get(reverse("dids:list"), {"number": "85", "match": "contains"})
    assert "Type at least 3 digits" in response.context["search"].errors["number"][0]
    assert "Type at least 3 digits" in response.content.decode()
    assert response.context["search"]["number"].value() == "85"  # as typed


def test_starts_with_any_length_and_contains_from_3_digits(admin_client, db):
    DIDFactory(number="+18555801802")
    DIDFactory(number="+442071234567")
    rows = admin_client.get(reverse("dids:list"), {"number": "18", "match": "starts"}).context["page"].rows
    assert [d.number for d in rows] == ["+18555801802"]
    rows = admin_client.get(reverse("dids:list"), {"number": "580", "match": "contains"}).context["page"].rows
    assert [d.number for d in rows] == ["+18555801802"]


def _plan(queryset) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would be scanned anyway
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres
def test_postgresql_serves_both_searches_from_indexes(db):
    DIDFactory.create_batch(5)
    contains = DIDSearchForm({"number": "555", "match": "contains"}).filter(DID.objects.all())
    starts = DIDSearchForm({"number": "1202", "match": "starts"}).filter(DID.objects.all())
    assert "did_number_trgm" in _plan(contains)
    # the unique index on number, or Django's varchar_pattern_ops twin of it (dids_did_number_..._like)
    assert "dids_did_number_" in _plan(starts)


@pytest.mark.postgres
def test_the_trigram_index_never_answers_an_equality(db):
    """Regression: pg_trgm also serves "=", and at a million DIDs the planner chose the
    trigram index for a list of numbers (60-90 s for 5,000 instead of 25 ms). With the
    B-trees on number out of the way (dropped inside this test's transaction), nothing
    may serve a list of numbers but a scan; the trigram index would if it could."""
    DIDFactory.create_batch(5)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the factory's deferred checks, before ALTER TABLE
        cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = 'dids_did'::regclass AND contype = 'u'")
        for (name,) in cursor.fetchall():
            cursor.execute(f'ALTER TABLE dids_did DROP CONSTRAINT "{name}"')
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'dids_did' AND indexdef LIKE '%%(number%%'"
                       " AND indexname <> 'did_number_trgm'")
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
    assert "did_number_trgm" not in _plan(DID.objects.filter(number__in=["+18555801802", "+18555801803"]))
    assert "did_number_trgm" in _plan(DIDSearchForm({"number": "555"}).filter(DID.objects.all()))
