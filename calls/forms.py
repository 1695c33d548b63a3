"""Forms of the calls pages: the CDR upload and the DID filter."""

from django import forms
from django.core.exceptions import ValidationError

from billing_portal.forms import checked_csv_upload
from dids.numbers import normalize_did


class CDRUploadForm(forms.Form):
    file = forms.FileField(
        label="CDR file (CSV)",
        help_text="First line: column names, in any order. Needed: Call ID, Start, DID and Answered Seconds, or "
                  "FreeSWITCH's uuid, start_stamp, destination_number, billsec, or Asterisk's uniqueid, start, dst, "
                  "billsec. UTF-8; comma, semicolon or tab separated.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv,text/plain"

    def clean_file(self):
        return checked_csv_upload(self.cleaned_data["file"], "rate_cdrs")


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
