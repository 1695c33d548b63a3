"""The password rules, for templates/includes/password_rules.html."""

from django import template
from django.contrib.auth import password_validation

register = template.Library()


@register.simple_tag
def password_rules() -> list[str]:
    """One sentence per AUTH_PASSWORD_VALIDATORS entry, as the validators word them, so the
    page lists the rules that will actually be checked."""
    return password_validation.password_validators_help_texts()
