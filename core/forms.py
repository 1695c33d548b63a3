"""Form fields shared by every money input: exact decimals, clear messages."""

import re
from decimal import Decimal

from django import forms
from django.conf import settings

_PLAIN_NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$")

# Prices above this are typos, not prices.
MAX_PRICE = Decimal("999999.9999")


class MoneyAmountField(forms.DecimalField):
    """A money amount in the portal currency: at most 4 decimal places, no
    exponent notation (1e3), no text, within [min_value, max_value]."""

    def __init__(self, *, min_value=Decimal("0"), max_value=MAX_PRICE, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 4)
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")
        # A text input, not type=number: browsers silently "fix" what was typed.
        self.widget.input_type = "text"

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if not _PLAIN_NUMBER.match(text):
            raise forms.ValidationError("Enter an amount in plain digits, e.g. 5 or 5.0000.", code="invalid")
        return super().to_python(text)


class WholeNumberField(forms.IntegerField):
    """Whole seconds, days or counts; '1e3', '1.5' and text are refused."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.widget.input_type = "text"
        self.widget.attrs.setdefault("inputmode", "numeric")

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if not re.match(r"^-?\d+$", text):
            raise forms.ValidationError("Enter a whole number.", code="invalid")
        return super().to_python(text)


def checked_csv_upload(file, command: str):
    """An uploaded CSV within DID_IMPORT_MAX_MB and not empty; ``command`` is where bigger files go."""
    limit = settings.DID_IMPORT_MAX_MB
    if file.size > limit * 1024 * 1024:
        raise forms.ValidationError(f"The file is larger than {limit} MB. Split it, or use manage.py {command} on the server.")
    if not file.size:
        raise forms.ValidationError("The file is empty.")
    return file


class ColumnMatchForm(forms.Form):
    """An import preview's column matching: for each column of the file, the field it
    feeds or "not used" (core/importing/matching.py), shown with the file's first values."""

    def __init__(self, *args, header: list[str], used_as: list[str], fields: list[tuple[str, str]],
                 samples: list[list[str]] = (), **kwargs):
        """``fields``: (name, label) of each field a column may feed; ``used_as``: the current match."""
        super().__init__(*args, **kwargs)
        choices = [("", "— not used —")] + list(fields)
        self.rows = []
        for index, name in enumerate(header):
            key = f"column_{index}"
            self.fields[key] = forms.ChoiceField(
                label=name.strip() or f"column {index + 1}", choices=choices, required=False,
                initial=used_as[index] if index < len(used_as) else "",
            )
            self.fields[key].widget.attrs.update({"class": "form-select form-select-sm", "aria-label": f"Use column "
                                                  f"{index + 1} ({name.strip() or 'no name'}) as"})
            values = [row[index].strip() for row in samples if index < len(row) and row[index].strip()]
            self.rows.append((index + 1, self.fields[key].label, values[:3], key))

    def bound_rows(self):
        """(column number, name in the file, first values, the bound select) for the template."""
        return [(number, name, values, self[key]) for number, name, values, key in self.rows]

    def overrides(self) -> dict[int, str]:
        """The choices as matching overrides (every column: what the admin sees is what is used)."""
        return {int(key.removeprefix("column_")): value for key, value in self.cleaned_data.items()
                if key.startswith("column_")}
