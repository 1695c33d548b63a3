"""Forms of the calls pages: the CDR upload, the preview's Check again, and the DID filter."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django_countries import countries
from phonenumbers import SUPPORTED_REGIONS

from core.forms import ColumnMatchForm, checked_csv_upload
from calls.importing.cells import read_zone, time_zone_names
from calls.importing.columns import FIELD_CHOICES
from calls.importing.formats import FORMAT_CHOICES
from dids.numbers import normalize_did

NO_COUNTRY = ("", "— none: DIDs have their calling code —")


def _zone_field():
    return forms.ChoiceField(
        label="Time zone", required=False, choices=[(name, name) for name in sorted(time_zone_names())],
        help_text="The switch's clock, for times written without a UTC offset (Asterisk's and FreeSWITCH's "
                  "local time). Unix epoch times are UTC; times with an offset keep it.",
    )


def _country_field():
    return forms.ChoiceField(
        label="Country", required=False,
        choices=[NO_COUNTRY] + [(code, name) for code, name in countries if code in SUPPORTED_REGIONS],
        help_text="DIDs written without their calling code (a US switch writes 10 digits) are read as numbers "
                  "of this country.",
    )


class _Options:
    """The time zone and country of a CDR import, validated (blank zone: CDR_TIME_ZONE)."""

    def clean_time_zone(self):
        name = self.cleaned_data.get("time_zone") or settings.CDR_TIME_ZONE
        try:
            return read_zone(name).key
        except ValueError as error:  # CDR_TIME_ZONE set to a name that is not one
            raise forms.ValidationError(f"{error} (CDR_TIME_ZONE)") from None

    def options(self) -> dict:
        return {"time_zone": self.cleaned_data["time_zone"], "country": self.cleaned_data.get("country") or ""}


class CDRUploadForm(_Options, forms.Form):
    file = forms.FileField(
        label="CDR file (CSV)",
        help_text="As the switch writes it (choose its Format), or with a first line naming the columns: Call ID, "
                  "Start, DID and Answered Seconds in any order (FreeSWITCH's uuid, start_stamp, destination_number, "
                  "billsec; Asterisk's uniqueid, start, dst, billsec; FreePBX's cdr export). UTF-8; comma, semicolon "
                  "or tab separated.",
    )
    file_format = forms.ChoiceField(
        label="Format", choices=FORMAT_CHOICES, required=False,
        help_text="Asterisk's Master.csv and FreeSWITCH's CSV templates are written without a header line: choose "
                  "the switch. Kamailio: the acc_cdrs table exported with its header line.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv,text/plain"
        self.fields["time_zone"] = _zone_field()
        self.fields["country"] = _country_field()
        self.initial.setdefault("time_zone", settings.CDR_TIME_ZONE)

    def clean_file(self):
        return checked_csv_upload(self.cleaned_data["file"], "rate_cdrs")

    def clean_file_format(self):
        return self.cleaned_data.get("file_format") or "header"

    def options(self) -> dict:
        return dict(super().options(), file_format=self.cleaned_data["file_format"], overrides=None)


class CDRCheckForm(_Options, ColumnMatchForm):
    """The preview's column choices, time zone and country, for Check again."""

    def __init__(self, *args, columns, **kwargs):
        super().__init__(*args, header=columns.header, used_as=columns.match.used_as, fields=FIELD_CHOICES,
                         samples=columns.samples, **kwargs)
        self.fields["time_zone"] = _zone_field()
        self.fields["country"] = _country_field()

    def options(self) -> dict:
        return dict(super().options(), overrides=self.overrides())


class CallFilterForm(forms.Form):
    did = forms.CharField(label="DID", max_length=40, required=False)

    def clean_did(self):
        text = self.cleaned_data["did"].strip()
        if not text:
            return ""
        try:
            return normalize_did(text)
        except ValidationError as error:
            raise forms.ValidationError(error.messages[0]) from None

    @property
    def number(self) -> str:
        return self.cleaned_data.get("did", "") if self.is_bound and self.is_valid() else ""
