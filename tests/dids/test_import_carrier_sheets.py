"""Carrier sheets through the DID import (issue 14): numbers read in the row's Country,
columns matched visibly and changeably, values for rows without their own, carrier
prices that say whose they are, decimal commas in semicolon files, and import_dids's
exit codes."""

import csv
import io
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from dids.importing.cells import RowReader, money_cell
from dids.importing.columns import HeaderError, plan
from dids.importing.csv_file import Choices, import_csv, preview_csv
from core.importing.reader import FileError
from dids.models import DID, DIDImport
from dids.numbers import country_mismatch
from tests.factories import DIDFactory


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    settings.DID_IMPORT_DIR = str(tmp_path / "imports")


def write(tmp_path, text: str, name="carrier.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def imported(path, provider, **choices):
    return import_csv(path, default_provider=provider, choices=Choices(**choices), write=True,
                      errors_path=path.with_suffix(".errors.csv"))


def stored() -> dict:
    return {d.number: d for d in DID.objects.all()}


# --- numbers read in the row's Country -------------------------------------------------------------

CARRIER_SHEET = (
    "Number,Country,Rate Center,State,Price\n"
    "(855) 580-1803,US,Toll free,,5\n"  # was +8555801803 (Cambodia)
    "(646) 555-0111,US,New York,NY,5\n"  # was +6465550111 (New Zealand): both readings valid
    "020 7946 0018,GB,London,,4\n"
    "030 12345678,DE,Berlin,,4\n"
    "03-1234-5678,JP,Tokyo,,4\n"
    "+1 855-580-1804,HK,Hong Kong,,4\n"  # a Country that does not use +1: imported, with a warning
    "011 44 20 7946 0958,US,London,,4\n"  # the US's international prefix
    "0011 44 20 7946 0017,AU,London,,4\n"  # Australia's
    "010 44 20 7946 0016,JP,London,,4\n"  # Japan's
    "tel:+1-855-580-1806,US,,,4\n"  # a tel: URI
    "+44 (0) 20 7946 0015,GB,London,,4\n"  # a trunk mark
)


def test_a_carrier_sheet_reads_each_number_in_its_rows_country(tmp_path, default_provider):
    report = imported(write(tmp_path, CARRIER_SHEET), default_provider)
    assert (report.new, report.rejected) == (11, 0), report.first_errors
    assert {n: d.country.code for n, d in stored().items()} == {
        "+18555801803": "US", "+16465550111": "US", "+442079460018": "GB", "+493012345678": "DE",
        "+81312345678": "JP", "+18555801804": "HK", "+442079460958": "US", "+442079460017": "AU",
        "+442079460016": "JP", "+18555801806": "US", "+442079460015": "GB",
    }
    readings = report.readings
    assert (readings.national, readings.ambiguous, readings.mismatched) == (5, 1, 4)
    assert [(r.line, r.typed) for r in readings.ambiguous_rows] == [(3, "(646) 555-0111")]
    assert "not +64 6 555 0111, New Zealand" in readings.ambiguous_rows[0].note
    warnings = {r.line: r.note for r in readings.mismatched_rows}
    assert warnings[7] == "Hong Kong does not use calling code +1 (of +1 855-580-1804, United States)."
    assert warnings[8] == "United States does not use calling code +44 (of +44 20 7946 0958, United Kingdom)."
    first = readings.sample[0]
    assert (first.line, first.typed, first.e164, first.country_label, first.note) == (
        2, "(855) 580-1803", "+18555801803", "United States (US)", "read as +1 855-580-1803, United States")


def test_rows_without_a_country_are_read_in_the_imports_country(tmp_path, default_provider):
    path = write(tmp_path, "Number,Country,MonthlyFee\n(855) 580-1803,,5\n+44 20 7946 0018,,5\n"
                           "020 7946 0019,GB,5\n18555801805,,5\n")
    report = imported(path, default_provider, country="US")
    assert report.new == 4, report.first_errors
    # The import's country is stored only where the number uses its calling code.
    assert {n: d.country.code for n, d in stored().items()} == {
        "+18555801803": "US", "+442079460018": "", "+442079460019": "GB", "+18555801805": "US"}
    assert report.readings.mismatched == 0  # a row's own Country only


def test_without_any_country_a_national_number_is_not_guessed(tmp_path, default_provider):
    report = imported(write(tmp_path, "Number,MonthlyFee\n020 7946 0018,5\n"), default_provider)
    assert report.invalid == 1 and "not a possible phone number" in report.first_errors[0].reason


def test_the_rejected_rows_show_the_number_as_it_would_be_stored(tmp_path, default_provider):
    DIDFactory(number="+18555801809")
    path = write(tmp_path, "Number,Country,MonthlyFee,City\n(855) 580-1803,US,-1,=cmd|' /C calc'!A0\n"
                           "12,US,5,\n(855) 580-1809,US,5,\n(855) 580-1810,US,5,\n")
    report = imported(path, default_provider)
    rows = list(csv.reader(path.with_suffix(".errors.csv").open(encoding="utf-8")))
    assert rows == [
        ["Line", "Reason", "Read as", "Number", "Country", "MonthlyFee", "City"],
        # Written as Export CSV writes text a spreadsheet would run ("+…" too): the import reads it back.
        ["2", "MonthlyFee (USD): -1 is negative.", "'+18555801803", "(855) 580-1803", "US", "'-1",
         "'=cmd|' /C calc'!A0"],
        ["3", "DID: 12 is not a possible phone number: neither a valid number in United States nor one with a "
              "calling code.", "", "12", "US", "5", ""],
        ["4", "Duplicate: DID +1 855-580-1809 already exists.", "'+18555801809", "(855) 580-1809", "US", "5", ""],
    ]
    assert [e.read_as for e in report.first_errors] == ["+18555801803", "", "+18555801809"]


def test_the_rejected_rows_import_again_once_corrected(tmp_path, default_provider):
    path = write(tmp_path, "Number,Country,MonthlyFee\n(855) 580-1803,US,-1\n+1 855 580 1804,US,-2\n")
    imported(path, default_provider)
    report_text = path.with_suffix(".errors.csv").read_text()
    assert "'+1 855 580 1804" in report_text  # spreadsheet-safe, as Export CSV writes it
    fixed = report_text.replace(",'-1", ",7").replace(",'-2", ",8")
    report = imported(write(tmp_path, fixed, name="fixed.csv"), default_provider)
    assert report.new == 2 and report.ignored_columns == ["Line", "Reason", "Read as"]
    assert {n: d.monthly_fee.amount for n, d in stored().items()} == {"+18555801803": D("7"), "+18555801804": D("8")}


def test_the_mismatch_shortcut_agrees_with_the_numbers_rule(default_provider):
    from dids.importing.cells import Providers

    reader = RowReader({"number": 0}, Providers(default_provider))
    numbers = ["+18555801802", "+14165550100", "+442079460018", "+493012345678", "+8555801803", "+6465550111",
               "+35312345678", "+3581234567", "+2125221234567"]
    for number in numbers:
        for country in ("US", "CA", "GB", "DE", "KH", "NZ", "IE", "FI", "MA", "EH", "AX", "HK", "JE"):
            assert reader.mismatch(number, country) == country_mismatch(number, country), (number, country)


# --- column matching --------------------------------------------------------------------------------

def test_a_price_column_is_monthly_fee_and_the_match_says_so(tmp_path, default_provider):
    found = plan(["Number", "Price", "Notes"])
    assert found.used_as == ["number", "monthly_fee", ""] and found.complete
    imported(write(tmp_path, "Number,Price\n+1 855 580 1803,2.5\n"), default_provider)
    assert DID.objects.get().monthly_fee.amount == D("2.5000")


@pytest.mark.parametrize("header,field", [
    ("Monthly Price", "monthly_fee"), ("Monthly Fee", "monthly_fee"), ("MRC", None), ("Rate Center", "city"),
    ("State", "province"), ("Phone Number", "number"), ("TN", "number"), ("Setup Price", "setup_fee"),
    ("Carrier", "provider"), ("Channels", "concurrent_calls"), ("ISO Country", "country"),
])
def test_carrier_header_names(header, field):
    assert plan(["Notes", header]).used_as[1] == (field or "")


def test_two_columns_meaning_one_field_take_the_preferred_and_say_so(tmp_path, default_provider):
    path = write(tmp_path, "Number,DID,MonthlyFee,Price\n+1 855 580 1803,+1 855 580 1804,5,9\n")
    result = preview_csv(path, default_provider=default_provider)
    assert result.plan.used_as == ["", "number", "monthly_fee", ""]  # was a refusal: "Two columns mean DID"
    assert result.plan.notes == [
        "DID: column “DID” is used, not “Number” (the preferred name; choose another below if that is wrong).",
        "MonthlyFee (USD): column “MonthlyFee” is used, not “Price” (the preferred name; choose another below if "
        "that is wrong).",
    ]
    report = imported(path, default_provider, overrides={0: "number", 1: ""})  # the admin's choice
    assert report.new == 1 and DID.objects.get().number == "+18555801803"


def test_a_header_without_a_did_column_waits_for_a_choice(tmp_path, default_provider):
    path = write(tmp_path, "Telefon,Preis\n+1 855 580 1803,5\n")
    result = preview_csv(path, default_provider=default_provider)
    assert result.report is None and result.plan.missing == ["DID", "MonthlyFee (USD)"]
    assert result.samples == [["+1 855 580 1803", "5"]]
    with pytest.raises(HeaderError, match="missing: DID, MonthlyFee"):
        imported(path, default_provider)
    assert imported(path, default_provider, overrides={0: "number", 1: "monthly_fee"}).new == 1


# --- values for rows without their own ----------------------------------------------------------------

NUMBER_LIST = "Number,Rate Center,State\n(855) 580-1803,Toll free,\n(212) 555-0143,NEW YORK,NY\n"


def test_a_number_list_without_prices_needs_a_monthly_fee_and_then_imports(tmp_path, default_provider):
    path = write(tmp_path, NUMBER_LIST)
    result = preview_csv(path, default_provider=default_provider, choices=Choices(country="US"))
    assert result.report is None  # was refused outright
    assert result.plan.questions() == ["No column is used as MonthlyFee (USD) and no value is given for rows "
                                       "without one."]
    defaults = {"monthly_fee": D("3.5"), "setup_fee": D("1"), "buy_cost": D("0.75"), "billing_days": 28,
                "billing_type": "one_time", "status": "inactive"}
    report = imported(path, default_provider, country="US", defaults=defaults)
    assert report.new == 2, report.first_errors
    did = DID.objects.get(number="+12125550143")
    assert (did.city, did.province, did.country.code) == ("NEW YORK", "NY", "US")
    assert (did.monthly_fee.amount, did.setup_fee.amount, did.buy_cost.amount) == (D("3.5"), D("1"), D("0.75"))
    assert (did.billing_days, did.billing_type, did.status) == (28, "one_time", "inactive")


def test_a_default_fills_blank_cells_only(tmp_path, default_provider):
    path = write(tmp_path, "Number,MonthlyFee,Billing Days\n+18555801803,,\n+18555801804,9,7\n")
    imported(path, default_provider, defaults={"monthly_fee": D("2"), "billing_days": 90})
    assert {n: (d.monthly_fee.amount, d.billing_days) for n, d in stored().items()} == {
        "+18555801803": (D("2"), 90), "+18555801804": (D("9"), 7)}


# --- prices that say whose they are ---------------------------------------------------------------------

MRC_NRC = "TN,MRC,NRC,Rate Center\n8555801803,1.25,3.00,Toll free\n"


def test_carrier_prices_are_not_taken_as_sell_prices_until_answered(tmp_path, default_provider):
    path = write(tmp_path, MRC_NRC)
    result = preview_csv(path, default_provider=default_provider, choices=Choices(country="US"))
    assert result.report is None and result.plan.needs_prices  # MRC/NRC used to land on MonthlyFee / Setup Fee
    assert result.plan.price_columns == ["MRC", "NRC"]
    assert result.plan.used_as == ["number", "", "", "city"]
    assert result.plan.questions()[1] == (
        "No column is used as MonthlyFee (USD) yet: MRC becomes it if the prices are our sell price; if they are "
        "the provider's cost, give a value for rows without one.")
    with pytest.raises(HeaderError, match="Whose prices are MRC, NRC"):
        imported(path, default_provider, country="US")
    assert not DID.objects.exists()


def test_carrier_prices_as_the_providers_cost(tmp_path, default_provider):
    path = write(tmp_path, MRC_NRC)
    found = plan(["TN", "MRC", "NRC", "Rate Center"], prices="cost", has_default={"monthly_fee"})
    assert found.used_as == ["number", "buy_cost", "", "city"] and found.complete
    assert "NRC: the provider's one-time charge has no field on a DID" in found.notes[0]
    imported(path, default_provider, country="US", prices="cost", defaults={"monthly_fee": D("2")})
    did = DID.objects.get()
    assert (did.number, did.buy_cost.amount, did.monthly_fee.amount, did.setup_fee.amount) == (
        "+18555801803", D("1.25"), D("2"), D("0"))


def test_carrier_prices_as_our_sell_price(tmp_path, default_provider):
    imported(write(tmp_path, MRC_NRC), default_provider, country="US", prices="sell")
    did = DID.objects.get()
    assert (did.buy_cost.amount, did.monthly_fee.amount, did.setup_fee.amount) == (D("0"), D("1.25"), D("3"))


def test_a_files_own_monthly_fee_wins_over_its_mrc(default_provider):
    found = plan(["DID", "MonthlyFee", "MRC"], prices="sell")
    assert found.used_as == ["number", "monthly_fee", ""] and "not “MRC”" in found.notes[0]


def test_a_column_the_admin_chose_needs_no_answer():
    found = plan(["TN", "MRC", "NRC"], overrides={1: "buy_cost", 2: ""}, has_default={"monthly_fee"})
    assert found.complete and found.used_as == ["number", "buy_cost", ""]


# --- semicolon files with decimal commas ---------------------------------------------------------------

EUROPEAN = (
    "Number;Country;City;Monthly Price;Setup Price\n"
    "030 12345678;DE;Berlin;5,00;1.234,50\n"
    "020 7946 0018;GB;London, UK;2.5;0\n"  # a decimal point is still a decimal point
    "0211 1234567;DE;Düsseldorf;1.250;0\n"  # 1250 or 1.25? refused, saying so
    "0211 1234568;DE;Düsseldorf;1.234.567,00;0\n"  # more than the form's maximum
)


def test_a_semicolon_file_with_decimal_commas(tmp_path, default_provider):
    report = imported(write(tmp_path, EUROPEAN), default_provider)
    assert (report.new, report.invalid) == (2, 2)
    berlin = DID.objects.get(number="+493012345678")
    assert (berlin.monthly_fee.amount, berlin.setup_fee.amount) == (D("5.0000"), D("1234.5000"))
    assert DID.objects.get(number="+442079460018").monthly_fee.amount == D("2.5")
    reasons = {e.line: e.reason for e in report.first_errors}
    assert reasons[4] == ("MonthlyFee (USD): “1.250” could be 1250 or 1,250; this file is semicolon-separated, so "
                          "write 1250 or 1,250 (a comma before the decimals, no thousands dot).")
    assert reasons[5] == "MonthlyFee (USD): 1.234.567,00 is more than 999999.9999."


@pytest.mark.parametrize("text,value", [
    ("5,00", "5.0000"), ("1.234,50", "1234.5000"), (",5", "0.5000"), ("$2,5", "2.5000"), ("7", "7.0000"),
    ("0.125", "0.1250"), ("12.000.000", None), ("1,2,3", None), ("1,234.56", None), ("5,12345", None), ("-5,00", None),
])
def test_decimal_comma_amounts(text, value):
    from core.importing.rows import RowError

    if value is None:
        with pytest.raises(RowError):
            money_cell("monthly_fee", text, decimal_comma=True)
    else:
        assert money_cell("monthly_fee", text, decimal_comma=True) == D(value)


def test_a_comma_file_still_refuses_commas_in_amounts(tmp_path, default_provider):
    report = imported(write(tmp_path, 'DID,MonthlyFee\n+18555801803,"5,00"\n'), default_provider)
    assert report.first_errors[0].reason == ("MonthlyFee (USD): “5,00” has a comma; write amounts with a decimal "
                                             "point and no thousands separator (5.00, 1000).")


# --- import_dids: options and exit codes ----------------------------------------------------------------

def run(*args) -> int:
    """The command's exit code (0, or a CommandError's)."""
    try:
        call_command("import_dids", *map(str, args))
    except CommandError as error:
        return error.returncode
    return 0


def test_command_reads_numbers_in_the_country_given(tmp_path, default_provider, capsys):
    path = write(tmp_path, "Number,MonthlyFee\n(855) 580-1803,5\n(646) 555-0111,5\n")
    assert run(path, "--yes", "--country", "United States") == 0
    assert set(stored()) == {"+18555801803", "+16465550111"}
    out = capsys.readouterr().out
    assert "Columns: Number -> DID; MonthlyFee -> MonthlyFee (USD)." in out
    assert "Numbers read as national numbers of their country: 2; ambiguous (national reading taken): 1" in out
    assert "line 3: “(646) 555-0111” read as +1 646-555-0111, United States" in out


def test_command_defaults_and_map(tmp_path, default_provider):
    path = write(tmp_path, "Telefon,Ort,Preis\n(855) 580-1803,Austin,\n")
    assert run(path, "--yes", "--country", "US", "--map", "number=Telefon", "--map", "City=2",
               "--default", "monthly_fee=4.5", "--default", "Billing Days=28", "--default", "status=inactive") == 0
    did = DID.objects.get()
    assert (did.number, did.city, did.monthly_fee.amount, did.billing_days, did.status) == (
        "+18555801803", "Austin", D("4.5"), 28, "inactive")


def test_command_prices_answer(tmp_path, default_provider, capsys):
    path = write(tmp_path, MRC_NRC)
    with pytest.raises(CommandError) as refused:
        call_command("import_dids", str(path), "--yes", "--country", "US")
    message = str(refused.value)
    assert refused.value.returncode == 1 and "\n" not in message
    assert message.startswith("--prices cost|sell is needed: Whose prices are MRC, NRC?")
    assert not DID.objects.exists()
    assert run(path, "--yes", "--country", "US", "--prices", "sell") == 0
    assert DID.objects.get().monthly_fee.amount == D("1.25")


def test_command_exit_codes(tmp_path, default_provider, capsys):
    good = write(tmp_path, "DID,MonthlyFee\n18555801802,5\n18555801803,5\n", name="good.csv")
    assert run(good, "--dry-run") == 0 and not DID.objects.exists()
    assert run(good, "--yes") == 0 and DID.objects.count() == 2
    assert run(good, "--yes") == 0  # every row already imported: nothing to do, nothing wrong


def test_command_exit_code_2_when_rows_are_rejected(tmp_path, default_provider):
    DIDFactory(number="+18555801806")
    bad = write(tmp_path, "DID,MonthlyFee\n18555801804,5\n18555801805,-5\n18555801804,5\n18555801806,5\n",
                name="bad.csv")
    with pytest.raises(CommandError) as rejected:
        call_command("import_dids", str(bad), "--yes")
    assert rejected.value.returncode == 2
    assert str(rejected.value) == ("2 rows not imported (1 invalid, 1 repeated in the file): "
                                   f"see {tmp_path}/bad.errors.csv")
    assert set(stored()) == {"+18555801804", "+18555801806"}
    errors = list(csv.reader(io.StringIO((tmp_path / "bad.errors.csv").read_text())))
    assert [row[:3] for row in errors[1:]] == [["3", "MonthlyFee (USD): -5 is negative.", "'+18555801805"],
                                               ["4", "Duplicate: +1 855-580-1804 is also on line 2.", "'+18555801804"],
                                               ["5", "Duplicate: DID +1 855-580-1806 already exists.", "'+18555801806"]]
    assert run(bad, "--dry-run") == 2


@pytest.mark.parametrize("args,message", [
    (["missing.csv"], "No such file: "),
    (["good.csv", "--errors", "nowhere/errors.csv"], "Cannot write the rejected rows to "),
    (["good.csv", "--map", "number=Telefon"], "--map number=Telefon: the file has no column “Telefon”"),
    (["good.csv", "--map", "colour=DID"], "--map colour=…: no field named “colour”"),
    (["good.csv", "--map", "number"], "--map number: write FIELD=COLUMN"),
    (["good.csv", "--default", "city=Paris"], "--default city=Paris: write FIELD=VALUE with FIELD one of"),
    (["good.csv", "--default", "monthly_fee=-1"], "--default monthly_fee=-1: MonthlyFee (USD): -1 is negative."),
    (["good.csv", "--default", "billing_days=0"], "--default billing_days=0: Billing Days: 0 is outside 1–3650."),
    (["good.csv", "--country", "Atlantis"], "--country Atlantis: neither a two-letter ISO code"),
    (["list.csv"], "No column is used as MonthlyFee (USD): add --map monthly_fee=COLUMN or "
                   "--default monthly_fee=AMOUNT."),
])
def test_command_errors_are_one_line_and_exit_1(tmp_path, default_provider, args, message):
    write(tmp_path, "DID,MonthlyFee\n18555801802,5\n", name="good.csv")
    write(tmp_path, NUMBER_LIST, name="list.csv")
    args = [str(tmp_path / args[0])] + [str(tmp_path / a) if a.startswith("nowhere") else a for a in args[1:]]
    with pytest.raises(CommandError) as error:
        call_command("import_dids", *args, "--yes")
    assert error.value.returncode == 1 and "\n" not in str(error.value)
    assert message in str(error.value)
    assert not DID.objects.exists() and not DIDImport.objects.exists()


def test_command_refuses_an_unreadable_file_in_one_line(tmp_path, default_provider, monkeypatch):
    path = write(tmp_path, "DID,MonthlyFee\n18555801802,5\n")
    real_open = Path.open

    def refuse(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(CommandError, match=f"^Cannot read {path}: Permission denied.$") as error:
        call_command("import_dids", str(path), "--yes")
    assert error.value.returncode == 1


def test_a_file_error_is_still_a_file_error(tmp_path, default_provider):
    with pytest.raises(FileError, match="Line 1 is longer than"):
        imported(write(tmp_path, "DID," + "x" * 140_000 + ",MonthlyFee\n"), default_provider)
