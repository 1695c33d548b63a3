"""A request body checked by the page's own Django form: the same rules and the same messages as
the page, field by field, with no second copy of a check in a serializer.

A ``FormSerializer`` declares the body's fields (for the schema and for the mass-assignment rule
of api/serializers.py: any other field is 422) and names the page's form. Its validation skips
DRF's per-field parsing and binds the form instead, to the body's values as text (what a browser
would post); ``validated_data`` is then the form's ``cleaned_data`` under the API's field names,
and ``self.form`` the bound, valid form (for ``form.save(commit=False)``).

A PATCH sends only what changes: ``base`` (the form's data for the object as stored) is merged
under the body first, so the form sees a whole submission, as the page posts one.
"""

from decimal import Decimal

from rest_framework import serializers

from api.fields import MoneyField
from api.serializers import NOT_SETTABLE, StrictSerializer

NOT_TEXT = "Send a string or a number."
MONEY_AS_STRING = 'Send amounts as strings, e.g. "5.0000".'


class FormSerializer(StrictSerializer):
    form_class = None
    # API field -> the form's field, where the names differ ("password" -> "password1").
    renames: dict[str, str] = {}
    # The form's fields the API never takes (a page's hidden once-per-form key: the API's is a header).
    drop: tuple[str, ...] = ()
    # Body fields outside the form, handed to the service as sent (it checks them, with its
    # message): e.g. an account's ``status``, which the pages change behind a confirmation page.
    passthrough: tuple[str, ...] = ()

    def __init__(self, *args, form_kwargs: dict | None = None, base: dict | None = None, **kwargs):
        self.form_kwargs = form_kwargs or {}
        self.base = base or {}
        self.form = None
        super().__init__(*args, **kwargs)

    # --- names ---------------------------------------------------------------------------------

    def form_name(self, name: str) -> str:
        return self.renames.get(name, name)

    def api_name(self, form_name: str) -> str:
        for api, form in self.renames.items():
            if form == form_name:
                return api
        return form_name

    # --- hooks ---------------------------------------------------------------------------------

    def form_data(self, data: dict) -> dict:
        """The form's POST data from the body (the API's names, values as text). A subclass may
        translate a value (an account number to the form's id) here."""
        return {self.form_name(name): value for name, value in data.items()}

    def make_form(self, data: dict):
        # No prefix: a page with two forms prefixes their fields ("funds-amount"); a body has one.
        form = self.form_class(data=data, prefix="", **self.form_kwargs)
        for name in self.drop:
            form.fields.pop(name, None)
        return form

    # --- validation ------------------------------------------------------------------------------

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Send a JSON object."]})
        self._refuse_unknown(data)
        errors, text = {}, {}
        for name, value in data.items():
            try:
                text[name] = self._as_text(name, value)
            except serializers.ValidationError as error:
                errors[name] = error.detail
        if errors:
            raise serializers.ValidationError(errors)
        form = self.make_form({**self.base, **self.form_data(text)})
        if not form.is_valid():
            raise serializers.ValidationError(
                {("non_field_errors" if name == "__all__" else self.api_name(name)): list(messages)
                 for name, messages in form.errors.items()})
        self.form = form
        cleaned = {self.api_name(name): value for name, value in form.cleaned_data.items()}
        return {**cleaned, **{name: data[name] for name in self.passthrough if name in data}}

    def _refuse_unknown(self, data: dict) -> None:
        """api/serializers.py StrictMixin's rule (DRF's field parsing, which it wraps, is skipped here)."""
        writable = {name for name, field in self.fields.items() if not field.read_only}
        extra = sorted(set(data) - writable)
        if extra:
            raise serializers.ValidationError({name: [NOT_SETTABLE] for name in extra})

    def _as_text(self, name: str, value) -> str:
        if value is None:
            return ""
        if isinstance(value, bool) or isinstance(value, (dict, list)):
            raise serializers.ValidationError(NOT_TEXT)
        if isinstance(value, float):
            if isinstance(self.fields.get(name), MoneyField):
                raise serializers.ValidationError(MONEY_AS_STRING)
            return str(Decimal(str(value)))
        return str(value)
