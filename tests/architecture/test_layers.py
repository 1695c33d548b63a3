"""The layers of docs/architecture.md hold: `lint-imports` keeps every contract of
pyproject.toml, and breaks one as soon as a lower layer imports a higher one (tried on a
copy of the code with one reverse import added)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["billing_portal", "core", "accounts", "audit", "dids", "billing", "calls", "routing", "resellers", "api",
            "webhooks"]
LINT = str(Path(sys.executable).with_name("lint-imports"))


def lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([LINT, "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_every_contract_is_kept():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture
def copy(tmp_path):
    for name in PACKAGES + ["tests"]:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize("module, reverse_import, broken", [
    ("dids/rating.py", "import billing.models", "Layers"),  # dids -> billing: the cycle once seen
    ("core/money.py", "import accounts.models", "core imports no app"),
    ("billing/ledger/posting.py", "import billing.views.statement", "never import views"),
    ("dids/rating.py", "from django.db import models", "Pure modules"),
    ("accounts/models.py", "import billing_portal.urls", "Layers"),  # nobody imports the configuration
    ("billing/subscriptions/purchase.py", "import api.problems", "Layers"),  # no service imports the API
    ("resellers/views/dids.py", "import api.tokens", "Layers"),  # the pages and the API: neither the other
    ("webhooks/outbox.py", "import billing.models", "Layers"),  # the outbox sits below the services that write it
])
def test_a_reverse_import_breaks_a_contract(copy, module, reverse_import, broken):
    path = copy / module
    path.write_text(path.read_text() + f"\n{reverse_import}  # a deliberate reverse import\n")
    result = lint(copy)
    assert result.returncode == 1, result.stdout
    assert broken in result.stdout and "BROKEN" in result.stdout
