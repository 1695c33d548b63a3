"""Screenshots of the pages, to look at them as a user would.

Usage: python scripts/screenshots.py BASE_URL OUTDIR  (a server with `load_demo` data running)
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "demo-pass-2026"


def login(page, base, username):
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def main(base: str, out: Path, shots: list[tuple[str, str, str]]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{base}/accounts/login/")
        page.screenshot(path=out / "login.png", full_page=True)
        current = None
        for user, path, name in shots:
            if user != current:
                login(page, base, user)
                current = user
            page.goto(f"{base}{path}")
            page.screenshot(path=out / f"{name}.png", full_page=True)
        browser.close()


DEFAULT_SHOTS = [
    ("admin", "/dids/", "admin-did-list"),
    ("admin", "/dids/?number=580&match=contains", "admin-did-list-search"),
    ("admin", "/dids/?country=ZW", "admin-did-list-empty"),
    ("admin", "/dids/create/", "admin-create-product"),
    ("admin", "/dids/providers/", "admin-providers"),
    ("admin", "/accounts/manage/", "admin-accounts"),
    ("admin", "/accounts/manage/create/", "admin-create-account"),
    ("reseller1", "/portal/statement/", "reseller-statement"),
    ("reseller1", "/portal/account/", "reseller-account"),
]

if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), DEFAULT_SHOTS)
