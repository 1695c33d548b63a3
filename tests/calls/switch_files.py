"""CDR lines as the switches write them, for the tests: Asterisk's cdr_csv (cdr/cdr_csv.c,
build_csv_record: strings quoted with quotes doubled, duration and billsec bare, an empty
date as nothing), FreeSWITCH mod_cdr_csv's "example" template (every value quoted), a
FreePBX cdr export and Kamailio's acc_cdrs exported by psql and mysql."""

from datetime import datetime, timedelta


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _date(moment: datetime | None) -> str:
    return _quoted(moment.strftime("%Y-%m-%d %H:%M:%S")) if moment else ""


def master_csv_line(*, dst: str, start: datetime, billsec: int, channel: str = "PJSIP/carrier-0000001a",
                    ring: int = 5, disposition: str | None = None, uniqueid: str | None = None,
                    userfield: str | None = None, src: str = "+493090182000",
                    clid: str = '"Alice" <+493090182000>', lastdata: str = "PJSIP/1001&PJSIP/1002,30,tTr",
                    accountcode: str = "") -> str:
    """One line of Master.csv. ``start`` is the switch's local time (naive)."""
    answer = start + timedelta(seconds=ring) if billsec else None
    end = (answer or start + timedelta(seconds=ring)) + timedelta(seconds=billsec)
    disposition = disposition or ("ANSWERED" if billsec else "NO ANSWER")
    cells = [_quoted(accountcode), _quoted(src), _quoted(dst), _quoted("from-trunk"), _quoted(clid),
             _quoted(channel), _quoted("PJSIP/1001-0000001b" if billsec else ""), _quoted("Dial"), _quoted(lastdata),
             _date(start), _date(answer), _date(end), str(int((end - start).total_seconds())), str(billsec),
             _quoted(disposition), _quoted("DOCUMENTATION")]
    if uniqueid is not None:
        cells.append(_quoted(uniqueid))
    if userfield is not None:
        cells.append(_quoted(userfield))
    return ",".join(cells) + "\n"


def freeswitch_example_line(*, uuid: str, dst: str, start: datetime, billsec: int, bleg_uuid: str = "",
                            name: str = "Alice", number: str = "+493090182000") -> str:
    """One line of mod_cdr_csv's "example" template (cdr_csv.conf.xml), local time."""
    answer = start + timedelta(seconds=4) if billsec else None
    end = (answer or start + timedelta(seconds=20)) + timedelta(seconds=billsec)
    values = [name, number, dst, "public", start.strftime("%Y-%m-%d %H:%M:%S"),
              answer.strftime("%Y-%m-%d %H:%M:%S") if answer else "", end.strftime("%Y-%m-%d %H:%M:%S"),
              str(int((end - start).total_seconds())), str(billsec),
              "NORMAL_CLEARING" if billsec else "NO_ANSWER", uuid, bleg_uuid, "", "PCMA", "PCMA"]
    return ",".join(_quoted(v) for v in values) + "\n"


FREEPBX_HEADER = ("calldate,clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,duration,billsec,disposition,"
                  "amaflags,accountcode,uniqueid,userfield,did,recordingfile,cnum,cnam,outbound_cnum,outbound_cnam,"
                  "dst_cnam,linkedid,peeraccount,sequence\n")


def freepbx_line(*, start: datetime, did: str, dst: str, billsec: int, uniqueid: str,
                 channel: str = "PJSIP/trunk-00000042") -> str:
    """A row of FreePBX's Reports > CDR export (asteriskcdrdb.cdr): ``dst`` is the extension the
    inbound route sent the call to, ``did`` the number it came in on."""
    disposition = "ANSWERED" if billsec else "NO ANSWER"
    return (f'{start:%Y-%m-%d %H:%M:%S},"""Bob"" <4930901820>",4930901820,{dst},from-did-direct,{channel},'
            f'PJSIP/{dst}-00000043,Dial,"PJSIP/{dst}/sip:{dst}@10.0.0.5:5060,,HhtrIb(func-apply-sipheaders^s^1)",'
            f"{billsec + 6},{billsec},{disposition},3,,{uniqueid},,{did},,4930901820,Bob,,,,{uniqueid},,12\n")
