"""Times in CDR files (issue 14, item 3): a time without a UTC offset is the switch's clock,
read in a stated zone (--timezone, the import page's Time zone, CDR_TIME_ZONE); epoch
seconds are UTC; an offset is kept; the repeated autumn hour is read as the first, the
skipped spring hour is refused."""

import io
import runpy
from datetime import timedelta, timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

import billing_portal.settings as settings_module
from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.subscriptions.purchase import purchase_did
from calls.importing.pipeline import rate_cdr_file
from calls.models import Call, CallCharge
from tests.calls.conftest import BOUGHT
from tests.factories import DIDFactory, make_account_user

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt_timezone.utc


def berlin_clock(moment):
    """What a switch in Berlin writes for this moment."""
    return moment.astimezone(BERLIN).replace(tzinfo=None)


def header_file(path, rows):
    path.write_text("Call ID,Start,DID,Answered Seconds\n" + "".join(f"{a},{b},{c},{d}\n" for a, b, c, d in rows))
    return path


def test_a_berlin_switch_call_made_before_the_purchase_is_not_charged_to_the_buyer(held, tmp_path, settings):
    """Issue 14: read as UTC, 08:30 Berlin (07:30 UTC, before the 08:00 UTC purchase) was charged to the buyer."""
    settings.CDR_TIME_ZONE = "Europe/Berlin"
    did, reseller = held
    before = BOUGHT - timedelta(minutes=30)
    after = BOUGHT + timedelta(minutes=30)
    path = header_file(tmp_path / "cdr.csv", [("before", f"{berlin_clock(before):%Y-%m-%d %H:%M:%S}", did.digits, 47),
                                              ("after", f"{berlin_clock(after):%Y-%m-%d %H:%M:%S}", did.digits, 47)])

    report = rate_cdr_file(path, write=True)

    assert (report.charged, report.invalid) == (1, 1)
    assert "had no holder at 2026-11-02 07:30:00 UTC" in report.first_errors[0].reason
    assert list(CallCharge.objects.values_list("call__call_id", "account_id")) == [("after", reseller.pk)]
    assert Call.objects.get().started_at == after
    assert (report.time_zone, report.first_call, report.last_call) == ("Europe/Berlin", before, after)


def test_a_berlin_switch_s_latest_calls_are_not_in_the_future(db, tmp_path):
    """Issue 14: read as UTC, a call of ten minutes ago on a Berlin clock was 'in the future'."""
    did = DIDFactory()
    reseller = make_account_user(Account.Kind.RESELLER).account
    add_funds(account_id=reseller.pk, amount=100)
    purchase_did(buyer_id=reseller.pk, did_id=did.pk, purchase_key="k", now=timezone.now() - timedelta(days=1))
    latest = timezone.now().replace(microsecond=0) - timedelta(minutes=10)
    path = header_file(tmp_path / "cdr.csv", [("latest", f"{berlin_clock(latest):%Y-%m-%d %H:%M:%S}", did.digits, 30)])

    output = io.StringIO()
    call_command("rate_cdrs", str(path), "--timezone", "Europe/Berlin", stdout=output)

    assert Call.objects.get().started_at == latest
    text = output.getvalue()
    assert "Times without an offset read in Europe/Berlin" in text
    assert f"first call {berlin_clock(latest):%Y-%m-%d %H:%M:%S} CE" in text  # CET or CEST
    # Read as UTC (the old behaviour) it is refused, and the message asks about the zone.
    report = rate_cdr_file(path, write=False, time_zone="UTC")
    assert report.invalid == 1
    assert "is in the future; is the time zone right?" in report.first_errors[0].reason


def test_epoch_seconds_are_utc_and_offsets_are_kept_whatever_the_zone(held, tmp_path):
    did, _ = held
    moment = BOUGHT + timedelta(hours=1)
    path = header_file(tmp_path / "cdr.csv", [
        ("epoch", str(int(moment.timestamp())), did.digits, 47),
        ("offset", moment.astimezone(ZoneInfo("Asia/Tokyo")).isoformat(), did.digits, 47),
        ("zulu", moment.strftime("%Y-%m-%dT%H:%M:%SZ"), did.digits, 47),
    ])
    rate_cdr_file(path, write=True, time_zone="America/Los_Angeles")
    stored = dict(Call.objects.values_list("call_id", "started_at"))
    assert stored == {"epoch": moment, "offset": moment, "zulu": moment}


def test_the_repeated_autumn_hour_is_read_as_the_first_and_the_skipped_spring_hour_refused(db, tmp_path):
    path = header_file(tmp_path / "cdr.csv", [("fold", "2026-10-25 02:30:00", "18555801802", 47),
                                              ("gap", "2026-03-29 02:30:00", "18555801802", 47)])
    report = rate_cdr_file(path, write=False, time_zone="Europe/Berlin", errors_path=tmp_path / "e.csv")
    reasons = {e.number: e.reason for e in report.first_errors}
    # 02:30 happens twice on 25 October: the first (summer time, UTC+2) is 00:30 UTC. Then the DID is unknown.
    assert report.first_call == report.last_call == timezone.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert reasons["fold"] == "DID: +1 855-580-1802 is not one of our DIDs."
    assert reasons["gap"] == ("Start: 2026-03-29 02:30:00 does not exist in Europe/Berlin (the clocks skipped it); "
                              "is the time zone right?")


def test_the_zone_must_be_an_iana_name(held, tmp_path):
    path = header_file(tmp_path / "cdr.csv", [("a", "2026-11-02 09:00:00", held[0].digits, 47)])
    for bad in ("Mars/Olympus", "../../etc/passwd", "CET+1"):
        with pytest.raises(CommandError, match="Unknown time zone"):
            call_command("rate_cdrs", str(path), "--timezone", bad)
    assert not Call.objects.exists()


@pytest.mark.parametrize("environ, expected", [
    ({"TIME_ZONE": "Asia/Tokyo"}, "Asia/Tokyo"),
    ({"TIME_ZONE": "Asia/Tokyo", "CDR_TIME_ZONE": "Europe/Berlin"}, "Europe/Berlin"),
])
def test_cdr_time_zone_defaults_to_the_portal_time_zone(monkeypatch, environ, expected):
    monkeypatch.delenv("CDR_TIME_ZONE", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert runpy.run_path(settings_module.__file__)["CDR_TIME_ZONE"] == expected
