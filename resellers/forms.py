from django import forms

from core.forms import MoneyAmountField
from core.money import fmt_page
from dids.numbers import search_digits


class PurchaseForm(forms.Form):
    """Edit Info at purchase: only the SELL COST is the buyer's to set.
    Everything it is charged comes from the server's price resolution."""

    purchase_key = forms.CharField(widget=forms.HiddenInput)
    sell_setup_fee = MoneyAmountField(label="Setup Fee (USD)")
    sell_price = MoneyAmountField(label="Price (USD)")

    def __init__(self, *args, buy_price=None, is_reseller=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.buy_price = buy_price
        if not is_reseller:
            # A customer sells to nobody: its sell cost is just a copy of what it pays.
            for name in ("sell_setup_fee", "sell_price"):
                self.fields[name].required = False

    def clean(self):
        cleaned = super().clean()
        if self.buy_price is None:
            return cleaned
        for name, floor in (("sell_setup_fee", self.buy_price.setup_fee), ("sell_price", self.buy_price.price)):
            value = cleaned.get(name)
            if value is not None and value < floor:
                self.add_error(name, f"A sell cost cannot be below your buy cost ({fmt_page(floor)}).")
        return cleaned


class BuyDIDsSearchForm(forms.Form):
    """Buy DIDs' search: every field optional; one typed wrongly gets its message next to it (and the
    list shows nothing). ``countries``: (code, name) of the countries in the buyer's pool."""

    country = forms.ChoiceField(label="Country", required=False)
    city = forms.CharField(label="City", required=False, max_length=100)
    province = forms.CharField(label="Province", required=False, max_length=100)
    prefix = forms.CharField(label="Number starts with", required=False, max_length=20)
    number = forms.CharField(label="Number contains", required=False, max_length=20)
    min_price = MoneyAmountField(label="Price from (USD)", required=False)
    max_price = MoneyAmountField(label="Price to (USD)", required=False)

    def __init__(self, *args, countries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "Any country"), *countries]

    def _digits(self, name):
        text = self.cleaned_data.get(name, "")
        digits = search_digits(text)[:15]
        if text.strip() and not digits:
            raise forms.ValidationError("Type digits of the number, e.g. 1855.")
        return digits

    def clean_prefix(self):
        return self._digits("prefix")

    def clean_number(self):
        return self._digits("number")

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_price"), cleaned.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", f"Must be at least the Price from ({fmt_page(low)}).")
        return cleaned

    def filters(self) -> dict:
        """The fields typed correctly: {name: value} without the empty ones."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items()
                if name not in self.errors and value not in (None, "")}
