"""A reseller's own margins (/portal/margins/)."""

from django.views.generic import TemplateView

from accounts.permissions import ResellerRequiredMixin
from billing.views.margins import AccountMarginsMixin


class MyMarginsView(ResellerRequiredMixin, AccountMarginsMixin, TemplateView):
    """A reseller's own rows only: the account comes from the login, never from the URL."""
