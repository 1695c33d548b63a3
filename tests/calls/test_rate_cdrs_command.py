"""manage.py rate_cdrs as cron runs it (issue 14, items 4 and 6): the exit status says
whether the file can be filed as done (0), has rejected rows to review (2) or could not be
read at all (1, one line, nothing charged); --country for a switch that writes national
numbers."""

import io
import pathlib
from decimal import Decimal

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError

from calls.models import Call, CallImport
from tests.calls.conftest import after_purchase
from tests.calls.switch_files import master_csv_line

HEADER = "Call ID,Start,DID,Answered Seconds\n"


def cdr(path, *rows):
    path.write_text(HEADER + "".join(f"{a},{b:%Y-%m-%d %H:%M:%S},{c},{d}\n" for a, b, c, d in rows))
    return path


def run(*argv) -> int:
    """The command as cron runs it: its exit status (its output goes to capsys)."""
    try:
        ManagementUtility(["manage.py", "rate_cdrs", *argv, "--no-color"]).execute()
    except SystemExit as exit_:
        return exit_.code
    return 0


@pytest.mark.django_db(transaction=True)
def test_the_exit_status_is_0_all_charged_2_rows_rejected_1_error(held, tmp_path, capsys):
    did, _ = held
    good = cdr(tmp_path / "good.csv", ("g1", after_purchase(1), did.digits, 47))
    mixed = cdr(tmp_path / "mixed.csv", ("m1", after_purchase(1), did.digits, 47),
                ("m2", after_purchase(1), "19995550100", 47))

    assert [run(str(good)), run(str(good))] == [0, 0]  # charged, then already charged: both done
    status = run(str(mixed))
    captured = capsys.readouterr()
    assert status == 2
    assert "CommandError: 1 row rejected, not charged: " + str(tmp_path / "mixed.errors.csv") in captured.err
    assert "line 3: DID: +1 999-555-0100 is not one of our DIDs." in captured.out
    assert (tmp_path / "mixed.errors.csv").exists()
    assert run(str(tmp_path / "missing.csv")) == 1 and "No such file: " in capsys.readouterr().err
    assert sorted(Call.objects.values_list("call_id", flat=True)) == ["g1", "m1"]


def test_path_and_permission_problems_are_one_line_and_charge_nothing(held, tmp_path, monkeypatch):
    did, _ = held
    path = cdr(tmp_path / "cdr.csv", ("p1", after_purchase(1), did.digits, 47))
    problems = {
        (str(tmp_path / "nope.csv"),): f"No such file: {tmp_path / 'nope.csv'}",
        (str(tmp_path),): f"Not a file: {tmp_path}",
        (str(path), "--errors", str(tmp_path / "no" / "such" / "folder.csv")):
            f"Cannot write the rejected rows to {tmp_path / 'no' / 'such' / 'folder.csv'}: No such file or directory.",
        (str(path), "--errors", str(tmp_path)): f"Cannot write the rejected rows to {tmp_path}: Is a directory.",
        (str(path), "--errors", str(path)): f"--errors {path} is the CDR file itself.",
        (str(path), "--country", "XX"): "Unknown country “XX”",
        (str(path), "--map", "price=DID"): "no field named “price”",
    }
    for argv, message in problems.items():
        with pytest.raises(CommandError) as failed:
            call_command("rate_cdrs", *argv, stdout=io.StringIO())
        assert message in str(failed.value) and "\n" not in str(failed.value)
        assert failed.value.returncode == 1
    # Root reads every file here, so the unreadable one is made so for the command alone.
    opened = pathlib.Path.open

    def refuse(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return opened(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", refuse)
    with pytest.raises(CommandError, match=f"^Cannot read {path}: Permission denied.$"):
        call_command("rate_cdrs", str(path), stdout=io.StringIO())
    assert not CallImport.objects.exists() and not Call.objects.exists()


def test_country_reads_a_us_switch_s_ten_digit_numbers(held, tmp_path):
    did, reseller = held
    ten_digits = did.digits[1:]  # +1 202 555 xxxx as 202555xxxx
    path = cdr(tmp_path / "cdr.csv", ("us1", after_purchase(1), ten_digits, 47),
               ("us2", after_purchase(2), f"({ten_digits[:3]}) {ten_digits[3:6]}-{ten_digits[6:]}", 15))
    with pytest.raises(CommandError):  # without a country the ten digits are no number of ours
        call_command("rate_cdrs", str(path), "--dry-run", stdout=io.StringIO())
    output = io.StringIO()
    call_command("rate_cdrs", str(path), "--country", "us", stdout=output)
    assert "calls charged: 2 (first holders pay 0.8200)" in output.getvalue()
    assert "DIDs without a calling code read as numbers of US" in output.getvalue()
    assert set(Call.objects.values_list("did_id", flat=True)) == {did.pk}
    assert CallImport.objects.get().country == "US"


def test_the_output_says_what_was_read_and_what_happened(held, tmp_path):
    did, _ = held
    path = tmp_path / "Master.csv"
    path.write_text(master_csv_line(dst=did.digits, start=after_purchase(1), billsec=0, uniqueid="1764666202.42")
                    + master_csv_line(dst=did.digits, start=after_purchase(1), billsec=300, uniqueid="1764666202.42"))
    output = io.StringIO()
    call_command("rate_cdrs", str(path), "--format", "asterisk", "--timezone", "UTC", stdout=output)
    text = output.getvalue()
    assert "Format: Asterisk Master.csv, 17 columns (loguniqueid)." in text
    assert "first call 2026-11-02 09:00:00 UTC, last call 2026-11-02 09:00:00 UTC" in text
    assert ("Rows read: 2; calls charged: 1 (first holders pay 2.9900); already charged: 0; other legs: 1; "
            "rejected: 0.") in text
    record = CallImport.objects.get()
    assert (record.file_format, record.time_zone, record.other_legs, record.total) == (
        "Asterisk Master.csv, 17 columns (loguniqueid)", "UTC", 1, Decimal("2.9900"))
