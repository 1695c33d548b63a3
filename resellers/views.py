from django.views.generic import TemplateView

from accounts.permissions import AccountRequiredMixin


class AccountView(AccountRequiredMixin, TemplateView):
    """The logged-in reseller's or customer's own account."""

    template_name = "resellers/account.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(account=self.account, **kwargs)
