"""Country names for a page of rows: django_countries looks a name up (and translates
it) on every ``country.name``; a page of 25 rows has a handful of countries. The names are
the everyday ones ("United States"): settings.COUNTRIES_OVERRIDE, from core/countries.py."""


class CountryNames(dict):
    """code -> display name; make one per request (names follow the active language)."""

    def of(self, country) -> str:
        """The name ``country.name`` gives, looked up once per code."""
        try:
            return self[country.code]
        except KeyError:
            name = self[country.code] = country.name
            return name
