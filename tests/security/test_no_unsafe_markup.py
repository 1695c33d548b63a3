"""No user data is ever marked safe (issue 8, part 4), checked statically:

- no template turns autoescape off: no ``|safe``, ``|safeseq``, ``{% autoescape off %}`` or
  ``{% filter safe %}``, and the template engine keeps autoescape on;
- every Python call that builds markup by hand (``mark_safe``, ``format_html``,
  ``format_html_join``, ``SafeString``, ``html_safe``, template filters registered ``is_safe``) is
  in an allow-list below with the reason it is safe, so a new one fails this test until someone
  has looked at it;
- crispy-forms' ``HTML()`` compiles its text as a template: only constants and URLs built by
  ``reverse()`` may be formatted into it (user data there would be template injection);

and, for each allow-listed use, that it escapes every payload of tests/security/payloads.py the
way Django's own rendering does.
"""

import ast
import re
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.template import Context, Template
from django.test import RequestFactory

from core.widgets import FastSelect, field_html, input_html, label_html, select_html
from tests.security.payloads import IDS, PAYLOADS, assert_harmless, escaped

ROOT = Path(settings.BASE_DIR)
SKIPPED_DIRS = {".venv", "venv", "node_modules", "staticfiles", "static", "tests", "__pycache__", ".git"}

# (file, function) -> why the hand-built markup cannot carry user data unescaped.
MARK_SAFE_ALLOWED = {
    ("core/widgets.py", "input_html"):
        "the type, name, value and every attribute go through _esc (html.escape / conditional_escape) first",
    ("core/widgets.py", "select_html"):
        "the name and attributes through _esc/_attrs, each option's value through html.escape and label through _esc",
    ("core/widgets.py", "label_html"):
        "the label text, its suffix and the for= id are escaped with _esc before they are joined",
    ("core/svg_charts.py", "_frame"):
        "every text (title, description, headings, labels, values, test id) goes through escape(); the rest is "
        "numbers formatted by _n and the module's own constants",
}
FORMAT_HTML_ALLOWED = {
    ("core/templatetags/portal.py", "sort_header"):
        "format_html escapes its arguments: the href (query string), the label and the arrow",
}
SAFESTRING_ALLOWED: dict = {}  # SafeString(...) / SafeText(...) / @html_safe: none
IS_SAFE_FILTERS_ALLOWED: dict = {}  # @register.filter(is_safe=True) or needs_autoescape: none
# crispy HTML(f"...{expr}..."): the expressions allowed inside (they are compiled as template text).
HTML_EXPRESSIONS_ALLOWED = {
    "cancel_url": "core/form_layout.py save_and_cancel: every caller passes reverse(...) of a pk or an account number",
}

TEMPLATE_RULES = {
    "|safe": re.compile(r"\|\s*safe\b(?!seq)"),
    "|safeseq": re.compile(r"\|\s*safeseq\b"),
    "{% autoescape off %}": re.compile(r"{%-?\s*autoescape\s+off\b"),
    "{% filter safe %}": re.compile(r"{%-?\s*filter\s+[^%]*\bsafe\b"),
}


def python_files() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if not SKIPPED_DIRS & set(p.relative_to(ROOT).parts[:-1])
                  and not any(part.endswith(".egg-info") for part in p.parts))


def template_files() -> list[Path]:
    folders = [Path(d) for engine in settings.TEMPLATES for d in engine.get("DIRS", [])]
    folders += [p for p in ROOT.glob("*/templates") if p.parts[-2] not in SKIPPED_DIRS]
    return sorted({f for folder in folders for f in folder.rglob("*") if f.is_file() and f.suffix in {".html", ".txt"}})


def _name(node) -> str:
    """``mark_safe`` for ``mark_safe(...)`` and ``safestring.mark_safe(...)``."""
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


class _Uses(ast.NodeVisitor):
    """(kind, enclosing function) of every markup-building call or decorator in one module."""

    KINDS = {"mark_safe": "mark_safe", "format_html": "format_html", "format_html_join": "format_html",
             "SafeString": "SafeString", "SafeText": "SafeString", "html_safe": "SafeString"}

    def __init__(self):
        self.stack: list[str] = []
        self.found: list[tuple[str, str, int]] = []  # (kind, function, line)
        self.html_expressions: list[tuple[str, str, int]] = []  # (expression, function, line)

    def _function(self, node):
        self.stack.append(node.name)
        for decorator in node.decorator_list:
            self._decorator(decorator, node)
        self.generic_visit(node)
        self.stack.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _function

    def _decorator(self, decorator, node):
        call = decorator if isinstance(decorator, ast.Call) else None
        target = _name(call.func if call else decorator)
        if target == "html_safe":
            self.found.append(("SafeString", node.name, node.lineno))
        if call and target in {"filter", "simple_tag"}:
            for keyword in call.keywords:
                if keyword.arg in {"is_safe", "needs_autoescape"} and getattr(keyword.value, "value", False):
                    self.found.append(("is_safe", node.name, node.lineno))

    def visit_Call(self, node):
        name = _name(node.func)
        where = ".".join(self.stack) or "<module>"
        if name in self.KINDS:
            self.found.append((self.KINDS[name], where, node.lineno))
        if name == "HTML" and node.args and isinstance(node.args[0], ast.JoinedStr):
            for part in node.args[0].values:
                if isinstance(part, ast.FormattedValue):
                    self.html_expressions.append((ast.unparse(part.value), where, node.lineno))
        self.generic_visit(node)


def markup_uses() -> tuple[dict, list]:
    """{kind: {(file, function): [lines]}} and [(file, function, expression, line)] of HTML() f-strings."""
    uses: dict[str, dict] = {}
    expressions = []
    for path in python_files():
        visitor = _Uses()
        visitor.visit(ast.parse(path.read_text(), filename=str(path)))
        relative = path.relative_to(ROOT).as_posix()
        for kind, function, line in visitor.found:
            uses.setdefault(kind, {}).setdefault((relative, function), []).append(line)
        expressions += [(relative, function, expression, line)
                        for expression, function, line in visitor.html_expressions]
    return uses, expressions


# --- templates ---------------------------------------------------------------------------------

def test_the_template_engine_autoescapes():
    for engine in settings.TEMPLATES:
        assert engine.get("OPTIONS", {}).get("autoescape", True) is True, engine["BACKEND"]


def test_templates_never_turn_autoescape_off():
    files = template_files()
    assert any(f.name == "base.html" for f in files), "the templates were not found"
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {rule}: {line.strip()[:100]}"
        for path in files
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        for rule, pattern in TEMPLATE_RULES.items()
        if pattern.search(line)
    ]
    assert not offenders, "Unescaped output in templates:\n" + "\n".join(offenders)


@pytest.mark.parametrize("text, rule", [("{{ x|safe }}", "|safe"), ("{{ x | safe }}", "|safe"),
                                        ("{{ xs|safeseq|join:',' }}", "|safeseq"),
                                        ("{% autoescape off %}", "{% autoescape off %}"),
                                        ("{%- autoescape off -%}", "{% autoescape off %}"),
                                        ("{% filter force_escape|safe %}", "{% filter safe %}")])
def test_the_template_rules_see_what_they_look_for(text, rule):
    assert TEMPLATE_RULES[rule].search(text)
    assert not any(p.search("{{ x|safe_label }} {% autoescape on %} {{ x|escape }}") for p in TEMPLATE_RULES.values())


# --- Python: every hand-built markup is known and justified ------------------------------------------

def test_the_scan_finds_the_projects_python_files():
    files = {p.relative_to(ROOT).as_posix() for p in python_files()}
    assert {"core/widgets.py", "core/templatetags/portal.py", "dids/views.py"} <= files
    assert not any(f.startswith((".venv/", "tests/")) for f in files)


@pytest.mark.parametrize("kind, allowed", [("mark_safe", MARK_SAFE_ALLOWED), ("format_html", FORMAT_HTML_ALLOWED),
                                           ("SafeString", SAFESTRING_ALLOWED), ("is_safe", IS_SAFE_FILTERS_ALLOWED)])
def test_every_markup_builder_is_allow_listed(kind, allowed):
    found = markup_uses()[0].get(kind, {})
    new = {f"{file}:{lines[0]} in {function}()" for (file, function), lines in found.items()
           if (file, function) not in allowed}
    assert not new, (f"{kind} used where nobody has checked it escapes user data; check it, then add it to "
                     f"the allow-list of tests/security/test_no_unsafe_markup.py with the reason:\n" + "\n".join(new))
    gone = set(allowed) - set(found)
    assert not gone, f"allow-listed but no longer there (remove them): {sorted(gone)}"
    assert all(reason.strip() for reason in allowed.values())


def test_crispy_html_gets_no_user_data():
    """crispy's HTML() text is compiled as a Django template: a value formatted into it is
    template code, so only URLs the code builds may go there."""
    expressions = markup_uses()[1]
    unknown = [f"{file}:{line} in {function}(): {{{expression}}}" for file, function, expression, line in expressions
               if not expression.startswith("reverse(") and expression not in HTML_EXPRESSIONS_ALLOWED]
    assert not unknown, "HTML() with a value that may not be a constant:\n" + "\n".join(unknown)


@pytest.mark.parametrize("module", ["accounts/forms_admin.py", "resellers/forms_customers.py"])
def test_the_cancel_url_of_account_forms_is_always_a_reverse(module):
    source = (ROOT / module).read_text()
    calls = re.findall(r"save_and_cancel\(([^()]*(?:\([^()]*\)[^()]*)*)\)", source)
    assert calls and all(re.fullmatch(r'"[^"]*", reverse\(.*\)', c.strip()) for c in calls), calls
    users = sorted(str(path.relative_to(ROOT)) for path in ROOT.glob("*/**/*.py")
                   if ".venv" not in path.parts and "tests" not in path.parts
                   and "save_and_cancel(" in path.read_text() and path.name != "form_layout.py")
    assert users == ["accounts/forms_admin.py", "resellers/forms_customers.py"], users  # a new caller: add it above


def test_the_scanner_sees_every_kind_of_use(tmp_path):
    code = (
        "from django.utils.safestring import mark_safe, SafeString\n"
        "from django.utils import html\n"
        "def a(x):\n    return mark_safe(x)\n"
        "class B:\n    def c(self, x):\n        return html.format_html('<b>{}</b>', x)\n"
        "def d(x):\n    return SafeString(x)\n"
        "@register.filter(is_safe=True)\ndef e(x):\n    return x\n"
        "def f(u):\n    return HTML(f'<a href=\"{u}\">')\n"
    )
    visitor = _Uses()
    visitor.visit(ast.parse(code))
    assert [(kind, where) for kind, where, _ in visitor.found] == [
        ("mark_safe", "a"), ("format_html", "B.c"), ("SafeString", "d"), ("is_safe", "e")]
    assert [(expression, where) for expression, where, _ in visitor.html_expressions] == [("u", "f")]


# --- each allow-listed use, fed every payload: escaped as Django escapes -------------------------------

class PayloadForm(forms.Form):
    text = forms.CharField(required=False)
    pick = forms.ChoiceField(required=False)


def _form(value: str, label: str = "Label") -> PayloadForm:
    form = PayloadForm({"text": value, "pick": value})
    form.fields["text"].label = label
    form.fields["pick"].choices = [("", "Any"), (value, value), ("b", f"{value} & more")]
    return form


@pytest.mark.parametrize("payload_id", IDS)
def test_input_html_escapes_like_django(payload_id):
    value = PAYLOADS[payload_id]
    widget = forms.TextInput(attrs={"placeholder": value})
    attrs = {"id": "id_text", "title": value, "data-x": value}
    html = input_html(widget, "text", value, attrs)
    assert html == widget.render("text", value, attrs)
    assert f'value="{escaped(value)}"' in html and f'title="{escaped(value)}"' in html
    assert_harmless(html)


@pytest.mark.parametrize("payload_id", IDS)
def test_select_html_escapes_like_django(payload_id):
    value = PAYLOADS[payload_id]
    choices = [("", "Any"), (value, value), ("b", f"{value} & more")]
    widget = forms.Select(choices=choices, attrs={"title": value})
    html = select_html(widget, "pick", value, {"id": "id_pick"})
    assert html == widget.render("pick", value, {"id": "id_pick"})
    assert f'<option value="{escaped(value)}" selected>{escaped(value)}</option>' in html
    assert_harmless(html)
    fast = FastSelect(choices=choices)
    assert fast.render("pick", value) == forms.Select(choices=choices).render("pick", value)


@pytest.mark.parametrize("payload_id", IDS)
def test_label_html_escapes_like_django(payload_id):
    value = PAYLOADS[payload_id]
    bound = _form(value, label=value)["text"]
    html = label_html(bound)
    assert html == bound.label_tag()
    assert escaped(value) in html
    assert_harmless(html)


@pytest.mark.parametrize("payload_id", IDS)
def test_field_html_and_the_template_filters_escape_bound_data(payload_id):
    value = PAYLOADS[payload_id]
    form = _form(value)
    form.is_valid()
    for name in ("text", "pick"):
        bound = form[name]
        assert field_html(bound, {"class": "c"}) == bound.as_widget(attrs={"class": "c"})
    html = Template("{% load portal %}{{ form.text|add_class:'c' }}{{ form.pick|fast_widget }}"
                    "{{ form.text|fast_label }}").render(Context({"form": form}))
    assert f'value="{escaped(value)}"' in html
    assert_harmless(html)


@pytest.mark.parametrize("payload_id", IDS)
def test_sort_header_and_query_with_escape_the_query_string(payload_id):
    value = PAYLOADS[payload_id]
    request = RequestFactory().get("/dids/", {"city": value, value[:50]: "x"})

    class Page:
        sort = value

    html = Template(
        "{% load portal %}{% sort_header 'number' label %}<a href=\"{% query_with page=2 %}\">next</a>"
    ).render(Context({"request": request, "page": Page, "label": value}))
    assert f">{escaped(value)}</a>" in html  # the label, escaped by format_html
    assert_harmless(html)
    for href in re.findall(r'href="([^"]*)"', html):
        assert href.startswith("?") and "<" not in href and '"' not in href
