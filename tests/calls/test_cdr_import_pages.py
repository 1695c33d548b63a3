"""The browser's CDR import with switch files (issue 14): the Format, Time zone and Country
fields; the preview says how the file was read (layout, zone, first and last call, column
matching) and Check again re-reads it with the admin's choices; Charge uses exactly what
the preview showed; a huge header field is a form error; rejected rows download as
spreadsheet-safe CSV."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from calls.models import Call, CallImport
from tests.calls.conftest import BOUGHT, after_purchase
from tests.calls.switch_files import FREEPBX_HEADER, freepbx_line, master_csv_line
from tests.factories import make_admin


@pytest.fixture
def admin_client(client, held, settings, tmp_path):
    settings.DID_IMPORT_DIR = str(tmp_path / "imports")
    client.force_login(make_admin())
    return client


def upload(client, name, text, **fields):
    return client.post(reverse("calls:import"), {"file": SimpleUploadedFile(name, text.encode(), "text/csv"), **fields})


def reading(response) -> str:
    return response.content.decode()


def test_the_page_offers_format_time_zone_and_country(admin_client, settings):
    settings.CDR_TIME_ZONE = "Europe/Berlin"
    form = admin_client.get(reverse("calls:import")).context["form"]
    assert [choice for choice, _ in form.fields["file_format"].choices] == ["header", "asterisk", "freeswitch",
                                                                           "kamailio"]
    assert form["time_zone"].value() == "Europe/Berlin" and "Asia/Tokyo" in dict(form.fields["time_zone"].choices)
    assert dict(form.fields["country"].choices)["US"].startswith("United States")


def test_a_master_csv_of_a_berlin_switch_with_us_numbers(admin_client, held):
    did, _ = held
    # 10:00 in Berlin (CET) is 09:00 UTC, an hour after the purchase.
    text = master_csv_line(dst=did.digits[1:], start=after_purchase(2), billsec=47, uniqueid="1764666202.42")
    preview = upload(admin_client, "Master.csv", text, file_format="asterisk", time_zone="Europe/Berlin", country="US")

    page = reading(preview)
    assert preview.status_code == 200 and "Charge 1 call" in page
    assert "Asterisk Master.csv, 17 columns (loguniqueid)" in page and "read in Europe/Berlin" in page
    assert "2026-11-02 10:00:00 CET" in page and "national numbers of United States" in page
    assert preview.context["match_form"]["column_2"].value() == "number"  # dst, by the template's position

    admin_client.post(reverse("calls:import_confirm", args=[preview.context["token"]]))
    call = Call.objects.get()
    assert (call.call_id, call.started_at, call.did_id) == ("1764666202.42", BOUGHT.replace(hour=9), did.pk)
    record = CallImport.objects.get()
    assert (record.time_zone, record.country, record.file_format) == (
        "Europe/Berlin", "US", "Asterisk Master.csv, 17 columns (loguniqueid)")


def test_an_unknown_column_is_chosen_on_the_preview_and_charged_as_chosen(admin_client, held):
    did, _ = held
    text = f"Ref,When,Number,Secs\nr1,{after_purchase(1):%Y-%m-%d %H:%M:%S},{did.digits},47\n"
    preview = upload(admin_client, "carrier.csv", text)
    page = reading(preview)
    assert preview.status_code == 200 and "Nothing to charge." in page
    assert "missing: Call ID, Start, Answered Seconds" in page and "Choose the columns" in page
    token = preview.context["token"]
    assert admin_client.post(reverse("calls:import_confirm", args=[token])).status_code == 302
    assert not Call.objects.exists()  # nothing to charge: "Nothing was charged"

    preview = upload(admin_client, "carrier.csv", text)
    token = preview.context["token"]
    chosen = {"column_0": "call_id", "column_1": "started_at", "column_2": "number", "column_3": "billsec",
              "time_zone": "UTC", "country": ""}
    again = admin_client.post(reverse("calls:import_check", args=[token]), chosen)
    assert again.status_code == 200 and "Charge 1 call" in reading(again)
    assert again.context["match_form"]["column_3"].value() == "billsec"

    admin_client.post(reverse("calls:import_confirm", args=[token]))
    assert list(Call.objects.values_list("call_id", "billsec")) == [("r1", 47)]


def test_two_columns_chosen_for_one_field_are_said_and_chosen_again(admin_client, held):
    did, _ = held
    text = f"id,start,did,billsec\nx1,{after_purchase(1):%Y-%m-%d %H:%M:%S},{did.digits},47\n"
    token = upload(admin_client, "cdr.csv", text).context["token"]
    both = {"column_0": "call_id", "column_1": "number", "column_2": "number", "column_3": "billsec",
            "time_zone": "UTC"}
    again = admin_client.post(reverse("calls:import_check", args=[token]), both)
    assert again.status_code == 200
    assert "DID: two columns were chosen, “start” and “did”." in reading(again)
    assert "Nothing to charge." in reading(again)
    fixed = dict(both, column_1="started_at")
    assert "Charge 1 call" in reading(admin_client.post(reverse("calls:import_check", args=[token]), fixed))


def test_charge_uses_the_choices_of_the_last_check_not_the_first(admin_client, held):
    did, _ = held
    text = FREEPBX_HEADER + freepbx_line(start=after_purchase(1), did="", dst=did.digits, billsec=47,
                                         uniqueid="1764666202.42")
    preview = upload(admin_client, "cdr.csv", text)
    assert "DID: column “did” is used, not “dst”" in reading(preview)  # the preference, said on the page
    assert "Nothing to charge." in reading(preview)  # did is empty in this row
    form = preview.context["match_form"]
    data = {f"column_{n}": form[f"column_{n}"].value() for n in range(len(form.rows))}
    data.update({"column_3": "number", "column_16": "", "time_zone": "UTC"})  # dst, not did
    token = preview.context["token"]
    again = admin_client.post(reverse("calls:import_check", args=[token]), data)
    assert "Charge 1 call" in reading(again)
    admin_client.post(reverse("calls:import_confirm", args=[token]), {"column_3": "", "time_zone": "Asia/Tokyo"})
    call = Call.objects.get()
    assert (call.did_id, call.started_at) == (did.pk, BOUGHT.replace(hour=9))


def test_a_header_field_longer_than_131072_characters_is_a_form_error(admin_client):
    text = "Call ID," + "x" * 140_000 + ",DID,Answered Seconds\n1,2,3,4\n"
    response = upload(admin_client, "huge.csv", text)
    assert response.status_code == 200
    assert "Line 1 is longer than 65,536 characters" in response.context["form"].errors["file"][0]
    quoted = 'Call ID,"' + "x" * 140_000 + '",DID\n'
    response = upload(admin_client, "huge.csv", quoted)
    assert response.status_code == 200 and response.context["form"].errors["file"]
    assert not CallImport.objects.exists()


@pytest.mark.parametrize("payload", ["=cmd|' /C calc'!A0", "+SUM(1;2)", "-2+3", "@SUM(A1)"])
def test_rejected_rows_download_spreadsheet_safe_as_export_csv(admin_client, held, payload):
    did, _ = held
    text = (f"Call ID,Start,DID,Answered Seconds\nok,{after_purchase(1):%Y-%m-%d %H:%M:%S},{did.digits},47\n"
            f'"{payload}",{after_purchase(1):%Y-%m-%d %H:%M:%S},19995550100,47\n')
    preview = upload(admin_client, "cdr.csv", text)
    token = preview.context["token"]

    def rows(response):
        return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))

    preview_rows = rows(admin_client.get(reverse("calls:import_preview_errors", args=[token])))
    admin_client.post(reverse("calls:import_confirm", args=[token]))
    record = CallImport.objects.get()
    import_rows = rows(admin_client.get(reverse("calls:import_errors", args=[record.pk])))
    for found in (preview_rows, import_rows):
        assert found[1][2] == "'" + payload
    from core.csv_stream import spreadsheet_safe  # Export CSV's rule (issue 14 made it one)

    assert preview_rows[1][2] == spreadsheet_safe(payload)
