"""Hostile input for the injection and XSS regression suite (tests/security/test_injection_xss.py),
and the checks that a page or a file shows it harmlessly.

Each payload has a short id, so that a parametrized case reads "<field>-<payload id>".
"""

import re
from html import escape

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SQL_OR = "' OR 1=1 --"
SQL_DROP = "'; DROP TABLE dids_did; --"
SHELL_SLEEP = "; sleep 5"
SHELL_SUBST = "$(sleep 5)"
TEMPLATE_VAR = "{{7*7}}"
TEMPLATE_TAG = "{% debug %}"
JS_URL = "javascript:alert(1)"
LONG = "A" * 10_000
NUL = "nul\x00byte"
RTL = "abc\u202eexe.txt"  # right-to-left override: shows as "abctxt.exe"
CSV_FORMULA = '=HYPERLINK("http://x")'

PAYLOADS = {
    "script": SCRIPT,
    "img": IMG,
    "sql_or": SQL_OR,
    "sql_drop": SQL_DROP,
    "shell_sleep": SHELL_SLEEP,
    "shell_subst": SHELL_SUBST,
    "template_var": TEMPLATE_VAR,
    "template_tag": TEMPLATE_TAG,
    "js_url": JS_URL,
    "long": LONG,
    "nul": NUL,
    "rtl": RTL,
    "csv_formula": CSV_FORMULA,
}
IDS = list(PAYLOADS)

# Payloads no text field of the portal stores: NUL (Django's forms refuse it, PostgreSQL could not
# store it) and 10,000 characters (every text column is at most 255).
NEVER_STORED = {"nul", "long"}

# What must never reach a page unescaped: markup that would run, and evaluated template code.
_RAW_MARKUP = ("<script>alert(1)", "<img src=x", 'href="javascript:', "href='javascript:")
# {% debug %} prints the template context, starting with the builtins {'False': False, 'None': None, ...}.
_DEBUG_OUTPUT = re.compile(r"(?:'|&#x27;)None(?:'|&#x27;): None")


def escaped(text: str) -> str:
    """``text`` as a template's ``{{ value }}`` writes it."""
    return escape(text, quote=True)


def assert_harmless(html: str, where: str = "") -> None:
    """No payload's markup is live in ``html`` and no template code was run."""
    for raw in _RAW_MARKUP:
        assert raw not in html, f"{where}: unescaped {raw!r}"
    assert not _DEBUG_OUTPUT.search(html), f"{where}: {{% debug %}} output in the page"


def assert_shown_escaped(html: str, value: str, where: str = "") -> None:
    """``value`` (a stored payload) appears in ``html`` exactly as autoescape writes it, and nothing
    in the page is live: ``<script>`` as ``&lt;script&gt;``, ``{{7*7}}`` as typed (not 49)."""
    assert_harmless(html, where)
    assert escaped(value) in html, f"{where}: {value[:60]!r} is not shown (escaped) in the page"


def assert_csv_inert(cells: list[str], value: str, where: str = "") -> None:
    """A CSV export holds ``value`` as text a spreadsheet will not run: a cell that starts with
    = + - @ gets a leading apostrophe (statement and DID exports)."""
    expected = f"'{value}" if value[:1] in {"=", "+", "-", "@"} else value
    assert expected in cells, f"{where}: {expected[:60]!r} not among the cells {[c[:40] for c in cells]}"
    assert not any(c[:1] in {"=", "+", "-", "@"} and c == value for c in cells if c), \
        f"{where}: a formula cell {value[:40]!r}"
