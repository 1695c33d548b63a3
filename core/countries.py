"""Countries' everyday names, the one list of them: where ISO's name is long or formal
("United States of America", "Korea (the Republic of)"), the name people use.

settings.COUNTRIES_OVERRIDE (django-countries) is built from it, so ``country.name``, every
CountryField dropdown, dids.country_names.CountryNames and ``country_name`` below all say
"United States". No import at the top: settings imports this module."""

EVERYDAY_NAMES = {
    "US": "United States", "GB": "United Kingdom", "KR": "South Korea", "RU": "Russia",
    "TW": "Taiwan", "VN": "Vietnam", "IR": "Iran", "SY": "Syria", "BO": "Bolivia", "VE": "Venezuela",
    "TZ": "Tanzania", "MD": "Moldova", "LA": "Laos", "KP": "North Korea",
}


def country_name(code: str | None) -> str:
    """A code's everyday name: 'US' -> 'United States' (what ``country.name`` says too)."""
    if not code or code == "001":
        return "no country (a global service)"
    if code in EVERYDAY_NAMES:
        return EVERYDAY_NAMES[code]
    from django_countries import countries  # needs settings: imported here, as settings imports this module

    return str(countries.name(code)) or code
