"""The notices pages of resellers and customers (/notices/): the list, opening a notice, marking all
read, the settings. Admins have none (403): they watch the billing on revenue assurance. Reading is
a change, so it is POST only; each view calls one service."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from accounts.permissions import AccountRequiredMixin
from core.listing import paginate
from notices.forms import NoticeSettingsForm
from notices.models import Notice
from notices.preferences import SettingsRefused, emailed_kinds, save_settings
from notices.reading import mark_all_read, open_notice

SORTS = {"created": ("created_at",)}


class NoticeListView(AccountRequiredMixin, TemplateView):
    template_name = "notices/list.html"

    def get_context_data(self, **kwargs):
        notices = Notice.objects.filter(account=self.account)
        page = paginate(self.request, notices, sorts=SORTS, default_sort="-created", keyset=True)
        return super().get_context_data(page=page, **kwargs)


class OpenNoticeView(AccountRequiredMixin, View):
    """Opening a notice marks it read and follows its link (the list when it has none)."""

    http_method_names = ["post"]

    def post(self, request):
        try:
            notice = open_notice(account_id=self.account.pk, notice_id=int(request.POST.get("notice", "")))
        except (ValueError, Notice.DoesNotExist):
            raise Http404("No such notice.")
        if notice.link and url_has_allowed_host_and_scheme(notice.link, allowed_hosts=None):
            return redirect(notice.link)  # a path in the portal, never another site
        return redirect("notices:list")


class MarkAllReadView(AccountRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        count = mark_all_read(account_id=self.account.pk)
        messages.success(request, f"{count:,} notice{'' if count == 1 else 's'} marked as read." if count
                         else "No unread notices.")
        return redirect("notices:list")


class NoticeSettingsView(AccountRequiredMixin, TemplateView):
    template_name = "notices/settings.html"

    def form(self, data=None):
        return NoticeSettingsForm(data, emailed=emailed_kinds(self.account.pk),
                                  threshold=self.account.low_balance_threshold)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.form()))

    def post(self, request, *args, **kwargs):
        form = self.form(request.POST)
        if form.is_valid():
            try:
                saved = save_settings(account=self.account, threshold=form.cleaned_data["low_balance_threshold"],
                                      by_email=form.by_email(), by=request.user)
            except SettingsRefused as refused:
                form.add_error(refused.field, str(refused))
            else:
                messages.success(request, "Notice settings saved." if saved else "Nothing changed.")
                return redirect("notices:settings")
        return self.render_to_response(self.get_context_data(form=form))
