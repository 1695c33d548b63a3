"""Switch CDR files as the switches write them (issue 14, item 2): Asterisk's Master.csv
without a header (16, 17 or 18 columns), FreeSWITCH mod_cdr_csv's shipped templates
without a header, a FreePBX cdr export (dst and did), a FreeSWITCH export with start_stamp
and start_epoch, Kamailio's acc_cdrs exported by psql and by mysql; --map and the
column preferences."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from calls.importing.pipeline import rate_cdr_file
from calls.models import Call, CallImport
from core.importing.reader import FileError
from tests.calls.conftest import BOUGHT, after_purchase
from tests.calls.switch_files import FREEPBX_HEADER, freepbx_line, freeswitch_example_line, master_csv_line

D = Decimal


def write(path, text):
    path.write_text(text)
    return path


def calls():
    return {c.call_id: (c.did.number, c.started_at, c.billsec) for c in Call.objects.select_related("did")}


# --- Asterisk Master.csv -------------------------------------------------------------------


def test_master_csv_with_cdr_conf_defaults_16_columns(held, tmp_path):
    did, _ = held
    start = after_purchase(1)
    path = write(tmp_path / "Master.csv",
                 master_csv_line(dst=did.digits, start=start, billsec=47, channel="PJSIP/carrier-00000a3f")
                 + master_csv_line(dst=did.digits, start=after_purchase(2), billsec=0,
                                   channel="PJSIP/carrier-00000a40"))

    report = rate_cdr_file(path, write=True, file_format="asterisk")

    assert report.layout.startswith("Asterisk Master.csv, 16 columns")
    assert (report.charged, report.invalid, report.total) == (2, 0, D("0.4700"))
    stored = Call.objects.order_by("started_at")
    # No uniqueid in the file: the id is made from channel, start and DID, and starts "cdr-".
    assert [c.call_id[:4] for c in stored] == ["cdr-", "cdr-"]
    assert [(c.started_at, c.billsec) for c in stored] == [(BOUGHT.replace(hour=9), 47),
                                                           (BOUGHT.replace(hour=10), 0)]
    # The same file again charges nothing: the made ids are the same.
    again = rate_cdr_file(path, write=True, file_format="asterisk")
    assert (again.charged, again.already_charged) == (0, 2) and Call.objects.count() == 2


def test_master_csv_quoting_as_cdr_csv_writes_it_is_read_whole(held, tmp_path):
    """A caller id with quotes inside quotes and a Dial() argument with commas stay one cell each."""
    did, _ = held
    line = master_csv_line(dst=did.digits, start=after_purchase(1), billsec=62, clid='"Müller, Hans" <+4930>',
                           lastdata="PJSIP/1001&PJSIP/1002,30,tTr,M(answered^x)")
    assert line.count(",") > 15  # the commas inside quotes are what a naive split would trip on
    report = rate_cdr_file(write(tmp_path / "Master.csv", line), write=True, file_format="asterisk")
    assert (report.charged, report.total) == (1, D("0.5900"))


@pytest.mark.parametrize("extra, layout", [
    ({"uniqueid": "1764666202.42"}, "uniqueid"),
    ({"uniqueid": "pbx1-1764666202.42"}, "uniqueid"),  # asterisk.conf's systemname before it
    ({"userfield": "vip"}, "userfield"),
    ({"userfield": ""}, "userfield"),
    ({"uniqueid": "1764666202.42", "userfield": "vip"}, "both"),
])
def test_master_csv_with_loguniqueid_or_loguserfield(held, tmp_path, extra, layout):
    from calls.importing.formats import ASTERISK

    did, _ = held
    path = write(tmp_path / "Master.csv", master_csv_line(dst=did.digits, start=after_purchase(1), billsec=47, **extra))
    report = rate_cdr_file(path, write=True, file_format="asterisk")
    assert report.layout == ASTERISK[layout].name and report.charged == 1
    stored = Call.objects.get().call_id
    # The channel is shown as used only where it makes the call id.
    assert ("channel" in report.columns.positions) is ("uniqueid" not in extra)
    if "uniqueid" in extra:
        assert stored == extra["uniqueid"]
    else:  # the userfield is never taken for a call id
        assert stored.startswith("cdr-")


def test_master_csv_times_are_the_switch_clock(held, tmp_path):
    did, _ = held
    path = write(tmp_path / "Master.csv", master_csv_line(dst=did.digits, start=after_purchase(1), billsec=47,
                                                          uniqueid="1764666202.42"))
    rate_cdr_file(path, write=True, file_format="asterisk", time_zone="America/New_York")
    # 09:00 in New York (EST, UTC-5) is 14:00 UTC.
    assert Call.objects.get().started_at == BOUGHT.replace(hour=14)


def test_a_master_csv_line_of_another_width_is_rejected_with_its_reason(held, tmp_path):
    did, _ = held
    good = master_csv_line(dst=did.digits, start=after_purchase(1), billsec=47, uniqueid="1764666202.42")
    short = master_csv_line(dst=did.digits, start=after_purchase(2), billsec=47)
    report = rate_cdr_file(write(tmp_path / "Master.csv", good + short), write=True, file_format="asterisk",
                           errors_path=tmp_path / "errors.csv")
    assert (report.charged, report.invalid) == (1, 1)
    assert report.first_errors[0].reason == ("The row has 16 columns; this file's rows have 17 "
                                             "(Asterisk Master.csv, 17 columns (loguniqueid)).")
    rejected = list(csv.reader((tmp_path / "errors.csv").open()))
    assert rejected[0][:4] == ["Line", "Reason", "accountcode", "src"]  # the template's names stand in for a header


@pytest.mark.parametrize("text, message", [
    ("accountcode,src,dst,dcontext,clid,channel,dstchannel,lastapp,lastdata,start,answer,end,duration,billsec,"
     "disposition,amaflags\n", "names the columns: choose the format “Header line”"),
    ('"a","b","c"\n', "has 3 columns: Asterisk's cdr_csv writes 16"),
    ('"","1","2","c","d","e","f","g","h","yesterday","","","1","x","ANSWERED","DOCUMENTATION"\n',
     "is not an Asterisk Master.csv row"),
])
def test_a_file_that_is_no_master_csv_is_refused_whole(held, tmp_path, text, message):
    with pytest.raises(FileError, match=message):
        rate_cdr_file(write(tmp_path / "x.csv", text), write=True, file_format="asterisk")
    assert not CallImport.objects.exists()


# --- FreeSWITCH mod_cdr_csv -----------------------------------------------------------------


def test_freeswitch_example_template_without_header(held, tmp_path):
    from calls.importing.formats import FREESWITCH

    did, _ = held
    path = write(tmp_path / "Master.csv",
                 freeswitch_example_line(uuid="eb1e406c-8871-4d69-9631-e7130f7ae390", dst=did.digits,
                                         start=after_purchase(1), billsec=47)
                 + freeswitch_example_line(uuid="7866825d-f38c-449e-a562-95250032e426", dst=did.digits,
                                           start=after_purchase(2), billsec=0))
    report = rate_cdr_file(path, write=True, file_format="freeswitch")
    assert report.layout == FREESWITCH["example"].name
    assert calls() == {"eb1e406c-8871-4d69-9631-e7130f7ae390": (did.number, BOUGHT.replace(hour=9), 47),
                       "7866825d-f38c-449e-a562-95250032e426": (did.number, BOUGHT.replace(hour=10), 0)}


@pytest.mark.parametrize("template", ["snom", "linksys", "asterisk", "opencdrrate"])
def test_every_shipped_csv_template_is_told_apart(held, tmp_path, template):
    from calls.importing.formats import FREESWITCH

    did, _ = held
    layout = FREESWITCH[template]
    values = {"uuid": "0f6a1f5e-3c1b-4f7e-9a43-2b8f1d6c9e11", "destination_number": did.digits,
              "start_stamp": after_purchase(1).strftime("%Y-%m-%d %H:%M:%S"),
              "answer_stamp": after_purchase(1).strftime("%Y-%m-%d %H:%M:%S"), "billsec": "47",
              "end_stamp": after_purchase(1.1).strftime("%Y-%m-%d %H:%M:%S"), "duration": "55"}
    line = ",".join(f'"{values.get(name, "x")}"' for name in layout.columns) + "\n"
    report = rate_cdr_file(write(tmp_path / "Master.csv", line), write=True, file_format="freeswitch")
    assert report.layout == layout.name and report.charged == 1
    assert Call.objects.get().started_at == BOUGHT.replace(hour=9)


def test_opencdrrate_unanswered_calls_take_their_end_as_the_moment(held, tmp_path):
    from calls.importing.formats import FREESWITCH

    did, _ = held
    layout = FREESWITCH["opencdrrate"]
    values = {"uuid": "0f6a1f5e-3c1b-4f7e-9a43-2b8f1d6c9e11", "destination_number": did.digits, "answer_stamp": "",
              "end_stamp": after_purchase(2).strftime("%Y-%m-%d %H:%M:%S"), "billsec": "0"}
    line = ",".join(f'"{values.get(name, "")}"' for name in layout.columns) + "\n"
    report = rate_cdr_file(write(tmp_path / "Master.csv", line), write=True, file_format="freeswitch")
    assert (report.charged, report.invalid) == (1, 0) and Call.objects.get().started_at == BOUGHT.replace(hour=10)


@pytest.mark.parametrize("text", [
    '"a","b","c","d"\n',
    'INSERT INTO cdr VALUES ("Alice","1001","2025550000","default","2026-11-02 09:00:00");\n',
    # 15 columns, but no uuid where the example template has it
    ",".join(['"x"'] * 15) + "\n",
])
def test_a_file_of_no_shipped_template_is_refused_naming_them(held, tmp_path, text):
    with pytest.raises(FileError) as refused:
        rate_cdr_file(write(tmp_path / "x.csv", text), write=True, file_format="freeswitch")
    message = str(refused.value)
    if "INSERT" in text:
        assert "“sql” template" in message
    else:
        assert "example (15 columns)" in message and "opencdrrate (13 columns)" in message
        assert "cdr_csv.conf.xml" in message


# --- files with a header line: preferences -----------------------------------------------------


def test_a_freepbx_export_uses_did_not_dst(held, tmp_path):
    """Issue 14: refused as ambiguous before. dst is the extension the inbound route rang."""
    did, _ = held
    path = write(tmp_path / "cdr.csv", FREEPBX_HEADER
                 + freepbx_line(start=after_purchase(1), did=did.digits, dst="1001", billsec=47,
                                uniqueid="1764666202.42"))
    report = rate_cdr_file(path, write=True)
    assert (report.charged, report.invalid) == (1, 0)
    assert calls() == {"1764666202.42": (did.number, BOUGHT.replace(hour=9), 47)}
    assert any("DID: column “did” is used, not “dst”" in note for note in report.columns.notes)


def test_a_freeswitch_export_with_start_stamp_and_start_epoch_uses_the_epoch(held, tmp_path, settings):
    """Issue 14: refused as ambiguous before. The epoch is UTC whatever the zone (here the stamp
    disagrees with it, to show which one was read)."""
    did, _ = held
    moment = BOUGHT.replace(hour=9)
    path = write(tmp_path / "cdr.csv",
                 "uuid,caller_id_number,destination_number,start_stamp,start_epoch,billsec,duration\n"
                 f"0f6a1f5e-3c1b-4f7e-9a43-2b8f1d6c9e11,4930901820,{did.digits},2026-11-02 12:00:00,"
                 f"{int(moment.timestamp())},47,52\n")
    settings.CDR_TIME_ZONE = "Europe/Berlin"
    report = rate_cdr_file(path, write=True)
    assert report.charged == 1 and Call.objects.get().started_at == moment
    assert any("Start: column “start_epoch” is used, not “start_stamp”" in note for note in report.columns.notes)


def test_map_chooses_another_column(held, tmp_path):
    did, _ = held
    path = write(tmp_path / "cdr.csv", FREEPBX_HEADER
                 + freepbx_line(start=after_purchase(1), did="", dst=did.digits, billsec=47, uniqueid="1764666202.42"))
    assert rate_cdr_file(path, write=False).invalid == 1  # did is empty: the extension route took dst as is
    report = rate_cdr_file(path, write=True, mapping=["number=dst"])
    assert (report.charged, report.invalid) == (1, 0)
    output = io.StringIO()
    call_command("rate_cdrs", str(path), "--map", "DID=dst", stdout=output)  # already charged: exit 0
    assert "already charged: 1" in output.getvalue()
    with pytest.raises(CommandError, match="no column “nope”"):
        call_command("rate_cdrs", str(path), "--map", "number=nope")


def test_map_moves_a_field_of_a_template_to_another_column(held, tmp_path):
    """A dialplan that keeps the DID in the userfield: --map number=userfield."""
    did, _ = held
    line = master_csv_line(dst="s", start=after_purchase(1), billsec=47, uniqueid="1764666202.42",
                           userfield=did.digits)
    path = write(tmp_path / "Master.csv", line)
    assert rate_cdr_file(path, write=False, file_format="asterisk").invalid == 1  # "s" is no DID
    report = rate_cdr_file(path, write=True, file_format="asterisk", mapping=["number=userfield"])
    assert (report.charged, report.invalid) == (1, 0) and Call.objects.get().did_id == did.pk
    assert report.columns.match.used_as[2] == ""  # dst, the template's DID column, is not used any more


def test_a_file_without_a_call_id_column_gets_one_from_its_channel(held, tmp_path):
    did, _ = held
    path = write(tmp_path / "cdr.csv", "calldate,channel,dst,billsec\n"
                                       f"{after_purchase(1):%Y-%m-%d %H:%M:%S},SIP/trunk-000000a1,{did.digits},47\n")
    report = rate_cdr_file(path, write=True)
    assert report.charged == 1 and Call.objects.get().call_id.startswith("cdr-")
    assert any("made from its channel" in note for note in report.columns.notes)


# --- Kamailio acc_cdrs -----------------------------------------------------------------------------


def test_kamailio_acc_cdrs_exported_by_psql(held, tmp_path):
    """psql -c "\\copy (SELECT * FROM acc_cdrs) TO 'acc_cdrs.csv' CSV HEADER"; duration in seconds
    with milliseconds (the answered time with cdr_start_on_confirmed), rounded half up."""
    did, _ = held
    path = write(tmp_path / "acc_cdrs.csv",
                 "id,start_time,end_time,duration,callid,src_user,dst_user\n"
                 f"1,{after_purchase(1):%Y-%m-%d %H:%M:%S},{after_purchase(1.1):%Y-%m-%d %H:%M:%S},46.500,"
                 f"a84b4c76e66710@pc33.atlanta.example.com,4930901820,{did.digits}\n"
                 f"2,{after_purchase(2):%Y-%m-%d %H:%M:%S},{after_purchase(2):%Y-%m-%d %H:%M:%S},0.000,"
                 f"b84b4c76e66711@pc33.atlanta.example.com,4930901820,{did.digits}\n"
                 f"3,{after_purchase(3):%Y-%m-%d %H:%M:%S},{after_purchase(3):%Y-%m-%d %H:%M:%S},0.499,"
                 f"c84b4c76e66712@pc33.atlanta.example.com,4930901820,{did.digits}\n")
    report = rate_cdr_file(path, write=True, file_format="kamailio")
    assert (report.charged, report.invalid) == (3, 0)
    assert {call_id[0]: billsec for call_id, (_, _, billsec) in calls().items()} == {"a": 47, "b": 0, "c": 0}
    assert report.total == D("0.4700")


def test_kamailio_acc_cdrs_exported_by_mysql_batch_mode(held, tmp_path):
    """mysql -B -e 'SELECT * FROM acc_cdrs' > acc_cdrs.tsv: tab separated, NULL as NULL."""
    did, _ = held
    path = write(tmp_path / "acc_cdrs.tsv",
                 "id\tstart_time\tend_time\tduration\tcallid\tsrc_user\tdst_user\n"
                 f"7\t{after_purchase(1):%Y-%m-%d %H:%M:%S}\t{after_purchase(1.1):%Y-%m-%d %H:%M:%S}\t62.517\t"
                 f"a84b4c76e66710@10.0.0.1\t4930901820\t{did.digits}\n"
                 f"8\t{after_purchase(1):%Y-%m-%d %H:%M:%S}\t{after_purchase(1.1):%Y-%m-%d %H:%M:%S}\tNULL\t"
                 f"b84b4c76e66710@10.0.0.1\t4930901820\t{did.digits}\n")
    report = rate_cdr_file(path, write=True, file_format="kamailio")
    assert (report.charged, report.invalid, report.total) == (1, 1, D("0.5900"))
    assert report.first_errors[0].reason.startswith("Answered Seconds: “NULL” is not a number of seconds")


@pytest.mark.parametrize("duration, expected", [
    ("62.5", 63), ("62.499", 62), ("0.5", 1), ("0.499", 0), ("86400.4", 86400), ("17", 17), ("-0", 0),
    ("86400.5", "longer than a day"), ("1e999999", "longer than a day"), ("-1.5", "not a number of seconds"),
    ("NaN", "not a number of seconds"), ("Infinity", "not a number of seconds"), ("", "not a number of seconds"),
    ("1,5", "not a number of seconds"),
])
def test_kamailio_durations_to_whole_seconds(duration, expected):
    from calls.importing.cells import fractional_seconds_cell
    from core.importing.rows import RowError

    if isinstance(expected, int):
        assert fractional_seconds_cell(duration) == expected
    else:
        with pytest.raises(RowError, match=expected):
            fractional_seconds_cell(duration)


def test_a_kamailio_export_read_as_a_plain_header_file_says_which_format(held, tmp_path):
    path = write(tmp_path / "acc_cdrs.csv", "id,start_time,end_time,duration,callid,src_user,dst_user\n")
    with pytest.raises(FileError, match="choose the format Kamailio"):
        rate_cdr_file(path, write=True)


def test_the_charges_are_the_same_whichever_format_carried_the_call(held, tmp_path):
    """One call, four files: the same charge (what the reseller pays at the DID's rates)."""
    did, reseller = held
    start, uuid = after_purchase(1), "0f6a1f5e-3c1b-4f7e-9a43-2b8f1d6c9e11"
    files = {
        "asterisk": master_csv_line(dst=did.digits, start=start, billsec=47, uniqueid=uuid),
        "freeswitch": freeswitch_example_line(uuid=uuid, dst=did.digits, start=start, billsec=47),
        "header": f"uuid,start_stamp,destination_number,billsec\n{uuid},{start:%Y-%m-%d %H:%M:%S},{did.digits},47\n",
        "kamailio": f"callid,start_time,duration,dst_user\n{uuid},{start:%Y-%m-%d %H:%M:%S},47.000,{did.digits}\n",
    }
    for file_format, text in files.items():
        report = rate_cdr_file(write(tmp_path / f"{file_format}.csv", text), write=False, file_format=file_format)
        assert (file_format, report.charged, report.total, report.first_call) == (
            file_format, 1, D("0.4700"), BOUGHT.replace(hour=9))
