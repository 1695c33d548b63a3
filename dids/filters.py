"""The search panel of the admin DID list."""

from django import forms
from django.db.models import CharField, Func, Q
from django_countries import countries

from core.widgets import FastSelect
from dids.models import DID, Provider
from dids.numbers import number_search, search_digits


class SearchableNumber(Func):
    """``number || ''``: the expression the trigram index is built on (migration 0007), so
    that index serves "contains" and never an equality on number."""

    template = "(%(expressions)s || '')"
    output_field = CharField()


def number_contains(queryset, digits: str, field: str = "number"):
    """Rows whose number (``field``: a DID's number, or e.g. ``did__number``) contains the digits."""
    return queryset.alias(searchable_number=SearchableNumber(field)).filter(searchable_number__contains=digits)


def prefix_range(prefix: str) -> dict:
    """Bounds of the numbers starting with ``prefix`` ("+4429" -> >= "+4429" and < "+443")."""
    bounds = {"number__gte": prefix}
    head = prefix.rstrip("9")
    if len(head) > 1 and head[-1].isdigit():  # all 9s: no upper bound
        bounds["number__lt"] = head[:-1] + str(int(head[-1]) + 1)
    return bounds


class DIDSearchForm(forms.Form):
    MATCH_CHOICES = [("contains", "contains"), ("starts", "starts with")]

    number = forms.CharField(label="DID", required=False, max_length=20)
    match = forms.ChoiceField(label="Match", choices=MATCH_CHOICES, required=False, initial="contains")
    country = forms.ChoiceField(label="Country", required=False, widget=FastSelect)  # 250 options, every request
    city = forms.CharField(label="City", required=False, max_length=100)
    province = forms.CharField(label="Province", required=False, max_length=100)
    provider = forms.ModelChoiceField(label="Provider", queryset=Provider.objects.order_by("name"), required=False)
    status = forms.ChoiceField(label="Status", choices=[("", "Any")] + DID.Status.choices, required=False)
    holder = forms.CharField(label="Holder", required=False, max_length=120, help_text="Account name or number; 'none' for unsold.")
    # From an import's page: "Show its DIDs" (not in the panel).
    # max_value: a larger id is no import, and SQLite cannot even compare it (OverflowError).
    import_batch = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "Any")] + list(countries)
        self.fields["provider"].empty_label = "Any"

    MIN_CONTAINS_DIGITS = 3  # what the trigram index can serve (migration 0003)

    def clean(self):
        cleaned = super().clean()
        digits = search_digits(cleaned.get("number") or "")
        if digits and cleaned.get("match") != "starts" and len(digits) < self.MIN_CONTAINS_DIGITS:
            self.add_error("number", f"Type at least {self.MIN_CONTAINS_DIGITS} digits to search inside numbers, "
                                     "or choose “starts with”.")
        return cleaned

    def filter(self, queryset):
        """Apply the valid filters; invalid ones are ignored (and shown as errors)."""
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        # Read in the chosen country: "(855) 580" with United States starts +1 855 580 (dids/numbers.py).
        digits = number_search(data["number"], data["country"] or None, starts=data["match"] == "starts")
        if digits:
            if data["match"] == "starts":
                # The range lets the ordered number index start at the prefix (a million-row list
                # otherwise reads every number before it); LIKE keeps the meaning exact.
                queryset = queryset.filter(number__startswith="+" + digits, **prefix_range("+" + digits))
            else:
                queryset = number_contains(queryset, digits)
        if data["country"]:
            queryset = queryset.filter(country=data["country"])
        if data["city"]:
            queryset = queryset.filter(city__icontains=data["city"].strip())
        if data["province"]:
            queryset = queryset.filter(province__icontains=data["province"].strip())
        if data["provider"]:
            queryset = queryset.filter(provider=data["provider"])
        if data["status"]:
            queryset = queryset.filter(status=data["status"])
        if data["import_batch"]:
            queryset = queryset.filter(import_batch=data["import_batch"])
        holder = data["holder"].strip()
        if holder.lower() == "none":
            queryset = queryset.filter(holder__isnull=True)
        elif holder:
            queryset = queryset.filter(Q(holder__number=holder) | Q(holder__name__icontains=holder))
        return queryset

    @property
    def is_filtered(self) -> bool:
        return self.is_valid() and any(v for k, v in self.cleaned_data.items() if k != "match")
