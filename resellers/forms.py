from django import forms

from core.forms import MoneyAmountField


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
                self.add_error(name, f"A sell cost cannot be below your buy cost ({floor:.4f}).")
        return cleaned
