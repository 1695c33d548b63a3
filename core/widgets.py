"""Form fields of the search panels of long lists, written in one pass in Python.

Django renders every widget, every <option> and every label through its form
template engine: about 0.1 ms an input or a label, 0.2 ms a short select and
1.5-15 ms the country list's 250 options, per request. The functions here write
the same HTML as Django's templates (django/forms/widgets/input.html,
select.html, select_option.html, attrs.html and django/forms/label.html) for the
plain widgets those templates serve, and leave anything else to Django."""

from html import escape as _escape

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _


def _esc(value) -> str:
    """What a template's ``{{ value }}`` writes (autoescape)."""
    return _escape(value) if type(value) is str else conditional_escape(value)


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: `` name="value"``, a bare `` name`` for True, nothing for False."""
    return "".join(
        f" {_esc(name)}" if value is True else f' {_esc(name)}="{_esc(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def input_html(widget: forms.widgets.Input, name: str, value, attrs: dict | None) -> str:
    """``widget.render()`` of an <input> widget (text, date, number, email, hidden, ...)."""
    final = widget.build_attrs(widget.attrs, attrs)
    value = widget.format_value(value)
    shown = "" if value is None else f' value="{_esc(value)}"'
    return mark_safe(f'<input type="{_esc(widget.input_type)}" name="{_esc(name)}"{shown}{_attrs(final)}>')


def _flat(choices) -> bool:
    """A select's choices without groups, seen without running a query."""
    if type(choices) is ModelChoiceIterator:
        return True  # (value, label) pairs, never groups
    return isinstance(choices, (list, tuple)) and not any(isinstance(label, (list, tuple)) for _, label in choices)


def _pairs(choices):
    if type(choices) is ModelChoiceIterator:
        # As ModelChoiceIterator.__iter__, but one plain query: its queryset.iterator() is a
        # server-side cursor on PostgreSQL (DECLARE, FETCH, CLOSE: 1.4 ms instead of 0.3 ms).
        field = choices.field
        empty = [("", field.empty_label)] if field.empty_label is not None else []
        return empty + [choices.choice(obj) for obj in choices.queryset]
    return choices


def _writable_select(widget) -> bool:
    return not widget.allow_multiple_selected and _flat(widget.choices)


def select_html(widget: forms.Select, name: str, value, attrs: dict | None) -> str:
    """``widget.render()`` of a single <select> with flat choices (``_writable_select``)."""
    final = widget.build_attrs(widget.attrs, attrs)
    wanted = widget.format_value(value)
    parts, has_selected = [f'<select name="{_esc(name)}"{_attrs(final)}>'], False
    for key, label in _pairs(widget.choices):
        key = "" if key is None else str(key)
        # As ChoiceWidget.optgroups: only the first option with the value is selected.
        selected = not has_selected and key in wanted
        has_selected |= selected
        parts.append(f'\n  <option value="{_escape(key)}"{" selected" if selected else ""}>{_esc(label)}</option>\n')
    parts.append("\n</select>")
    return mark_safe("".join(parts))


# Django's templates for the widgets written here (a widget with another template is left to Django).
_WRITERS = {
    f"django/forms/widgets/{kind}.html": input_html
    for kind in ("input", "text", "date", "number", "email", "hidden", "search", "tel", "url")
}
_WRITERS["django/forms/widgets/select.html"] = select_html


def field_html(bound_field, attrs: dict | None = None) -> str:
    """``bound_field.as_widget(attrs=attrs)``, in one pass for the plain widgets."""
    field, widget = bound_field.field, bound_field.field.widget
    writer = _WRITERS.get(widget.template_name)
    if writer is None or field.localize or (writer is select_html and not _writable_select(widget)):
        return bound_field.as_widget(attrs=attrs)
    # As BoundField.as_widget.
    final = bound_field.build_widget_attrs(attrs or {}, widget)
    if bound_field.auto_id and "id" not in widget.attrs:
        final.setdefault("id", bound_field.auto_id)
    return writer(widget, bound_field.html_name, bound_field.value(), final)


def label_html(bound_field) -> str:
    """``bound_field.label_tag()``, in one pass (Django's label template, default suffix rules)."""
    form, field = bound_field.form, bound_field.field
    if form.template_name_label != "django/forms/label.html" or (
        field.required and hasattr(form, "required_css_class")
    ):
        return bound_field.label_tag()
    contents = bound_field.label
    suffix = field.label_suffix if field.label_suffix is not None else form.label_suffix
    contents = _esc(contents)
    # As label_tag: no suffix after a label that ends in punctuation.
    if suffix and bound_field.label and bound_field.label[-1] not in _(":?.!"):
        contents += _esc(suffix)
    id_ = field.widget.attrs.get("id") or bound_field.auto_id
    if not id_:
        return mark_safe(contents)
    for_label = field.widget.id_for_label(id_)
    opening = f'<label for="{_esc(for_label)}">' if for_label else "<label>"
    return mark_safe(f"{opening}{contents}</label>")


class FastSelect(forms.Select):
    """A <select> written in one pass (``select_html``) wherever it is rendered: the
    country list's 250 options cost the DID list about 15 ms per request through
    Django's widget templates. Same HTML as forms.Select."""

    def render(self, name, value, attrs=None, renderer=None):
        if not _writable_select(self):
            return super().render(name, value, attrs, renderer)
        return select_html(self, name, value, attrs)
