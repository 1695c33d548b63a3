"""Pieces of crispy-forms layouts the pages share: two fields side by side, the Save and Cancel row."""

from crispy_forms.layout import HTML, Column, Div, Row, Submit


def pair(a, b) -> Row:
    """Two fields side by side on a wide screen, stacked on a phone."""
    return Row(Column(a, css_class="col-md-6"), Column(b, css_class="col-md-6"))


def save_and_cancel(label: str, cancel_url: str) -> Div:
    """The form's submit button and a Cancel link back to ``cancel_url``: a URL from reverse(), as
    HTML() compiles its text as a template (tests/security/test_no_unsafe_markup.py)."""
    return Div(
        Submit("save", label),
        HTML(f'<a class="btn btn-outline-secondary ms-2" href="{cancel_url}">Cancel</a>'),
        css_class="mt-3",
    )
