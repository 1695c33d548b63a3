"""Template helpers shared by every page: money display, sortable headers, page links."""

from django import template
from django.utils.html import format_html

from core.money import fmt_page
from core.phone import display, numbers_shown
from core.widgets import field_html, label_html

register = template.Library()


@register.filter
def amount(value) -> str:
    """5 -> '5.0000', 1234.5 -> '1,234.5000' (core.money.fmt_page: money on pages, never in inputs)."""
    if value is None or value == "":
        return ""
    return fmt_page(value)


@register.filter
def phone(value) -> str:
    """'+18555801802' -> '+1 855-580-1802': how pages show a number stored as E.164
    (``DID.shown`` for a DID). Anything not a number is shown as it is."""
    if value is None or value == "":
        return ""
    return display(str(value))


@register.filter
def phones(text) -> str:
    """A stored text (audit summary, notice) with its E.164 numbers shown as '+1 855-580-1802'."""
    return numbers_shown(text) if isinstance(text, str) else text


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (None removes one)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def sort_header(context, key: str, label: str):
    """A column header that sorts by an allow-listed key; a second click reverses it."""
    current = context["page"].sort
    if current == key:
        new, arrow = f"-{key}", " ▲"
    elif current == f"-{key}":
        new, arrow = key, " ▼"
    else:
        new, arrow = key, ""
    href = query_with(context, sort=new, page=None)
    return format_html('<a class="sort-link" href="{}">{}{}</a>', href, label, arrow)


@register.filter
def add_class(bound_field, css: str):
    """Render a bound field with extra CSS classes (for compact search panels): the
    widget's HTML as ``as_widget`` writes it, in one pass for plain inputs and selects."""
    return field_html(bound_field, {"class": css})


@register.filter
def fast_label(bound_field):
    """``{{ field.label_tag }}``, the same HTML in one pass (search panels)."""
    return label_html(bound_field)


@register.filter
def fast_widget(bound_field):
    """``{{ field }}``, the same HTML in one pass for plain inputs and selects."""
    return str(bound_field) if bound_field.field.show_hidden_initial else field_html(bound_field)
