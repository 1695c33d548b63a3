"""Template helpers shared by every page: money display, sortable headers, page links."""

from django import template
from django.utils.html import format_html

from core.money import fmt
from core.widgets import field_html, label_html

register = template.Library()


@register.filter
def amount(value) -> str:
    """5 -> '5.0000' (the seed's money display)."""
    if value is None or value == "":
        return ""
    return fmt(value)


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
