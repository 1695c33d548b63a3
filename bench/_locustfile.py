"""Mixed traffic of the portal's users for `python -m bench load` (bench/load.py):
resellers and customers browse their lists, buy, release, change their sell cost and
read statements; admins browse the DID list, accounts and statements. Every page is
fetched as a browser would (GET the form, POST it with its CSRF token and keys).

Users log in once each, with the accounts bench/load.py created (LOAD_USERS
lists them). A purchase that loses a race answers 409 and is not an error; any
5xx is.
"""

import os
import random
import re
from decimal import Decimal
from itertools import count

from locust import HttpUser, between, task

PASSWORD = os.environ["LOAD_PASSWORD"]
ACCOUNT_USERS = os.environ["LOAD_USERS"].split(",")
ADMIN_USERS = os.environ["LOAD_ADMINS"].split(",")
_next_account, _next_admin = count(), count()

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PURCHASE_LINK = re.compile(r'href="/portal/dids/buy/(\d+)/"')
HELD = re.compile(r'name="did" value="(\d+)"')
EDIT_INFO = re.compile(r'href="/portal/dids/(\d+)/edit-info/"')
ACCOUNT_LINK = re.compile(r'href="/accounts/manage/(\d+)/"')


def field(html: str, name: str) -> str | None:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(rf'value="([^"]*)"[^>]*name="{name}"', html)
    return found.group(1) if found else None


class _PortalUser(HttpUser):
    abstract = True
    wait_time = between(0.5, 2.0)
    username = ""

    def on_start(self):
        self.client.verify = False  # the benchmark's own self-signed certificate
        page = self.client.get("/accounts/login/", name="login page")
        with self.client.post("/accounts/login/", name="log in", catch_response=True, data={
            "username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": CSRF.search(page.text).group(1),
        }, headers={"Referer": self.host + "/accounts/login/"}) as response:
            if "/accounts/login/" in response.url:
                response.failure("still on the login page")

    def page(self, url, name):
        """GET a page; being sent to the login page is a failure (a lost session), not a page."""
        with self.client.get(url, name=name, catch_response=True) as response:
            if "/accounts/login/" in response.url:
                response.failure("sent to the login page")
        return response.text

    def post_form(self, url, data, *, name, page_html, ok=(200, 302)):
        data = dict(data, csrfmiddlewaretoken=CSRF.search(page_html).group(1))
        with self.client.post(url, data=data, name=name, catch_response=True,
                              headers={"Referer": self.host + url}) as response:
            if "/accounts/login/" in response.url:
                response.failure("sent to the login page")
            elif response.status_code in ok:
                response.success()
            else:
                response.failure(f"{response.status_code}")
        return response


class AccountUser(_PortalUser):
    """A reseller or customer."""

    weight = 9

    def on_start(self):
        self.username = ACCOUNT_USERS[next(_next_account) % len(ACCOUNT_USERS)]
        super().on_start()

    @task(4)
    def my_dids(self):
        self.page("/portal/dids/", "DIDs")

    @task(4)
    def buy_dids(self):
        self.page(f"/portal/dids/buy/?page={random.randint(1, 3)}", "Buy DIDs")

    @task(2)
    def statement(self):
        self.page("/portal/statement/", "Statement")

    @task(1)
    def calls(self):
        self.page("/portal/calls/", "Calls")

    @task(3)
    def buy(self):
        pool = self.page("/portal/dids/buy/", "Buy DIDs")
        offers = PURCHASE_LINK.findall(pool)
        if not offers:
            return
        url = f"/portal/dids/buy/{random.choice(offers)}/"
        form = self.page(url, "Purchase page")
        if "purchase_key" not in form:
            return  # sold a moment ago: the page says so
        data = {"purchase_key": field(form, "purchase_key"), "sell_setup_fee": field(form, "sell_setup_fee") or "",
                "sell_price": field(form, "sell_price") or ""}
        # 409: someone bought it between the page and the click; the page says so, nothing is charged.
        self.post_form(url, data, name="Purchase", page_html=form, ok=(200, 302, 409))

    @task(1)
    def release(self):
        page = self.page("/portal/dids/", "DIDs")
        held = HELD.findall(page)
        if not held:
            return
        did = random.choice(held)
        self.post_form("/portal/dids/release/", {"did": did, "confirm": "1"}, name="Release", page_html=page)

    @task(2)
    def edit_info(self):
        page = self.page("/portal/dids/", "DIDs")
        dids = EDIT_INFO.findall(page)
        if not dids:
            return
        url = f"/portal/dids/{random.choice(dids)}/edit-info/"
        form = self.page(url, "Edit Info")
        price = field(form, "sell_price")
        if price is None:
            return  # a customer: read only
        data = {"sell_setup_fee": field(form, "sell_setup_fee"), "sell_price": f"{Decimal(price) + Decimal('0.01'):.4f}"}
        self.post_form(url, data, name="Edit Info save", page_html=form)


class AdminUser(_PortalUser):
    weight = 1
    # LOAD_ADMIN_COUNT: exactly this many admins, the other users by weight (the tiny size has too
    # few users for a weight of 1 in 10 to give one).
    fixed_count = int(os.environ.get("LOAD_ADMIN_COUNT", "0"))

    def on_start(self):
        self.username = ADMIN_USERS[next(_next_admin) % len(ADMIN_USERS)]
        super().on_start()

    @task(4)
    def did_list(self):
        self.page(f"/dids/?page={random.randint(1, 20)}", "admin DID list")

    @task(2)
    def did_search(self):
        self.page(f"/dids/?number=1800{random.randint(100, 999)}&match=starts", "admin DID search")

    @task(2)
    def accounts(self):
        page = self.page("/accounts/manage/", "admin accounts")
        ids = ACCOUNT_LINK.findall(page)
        if ids:
            self.page(f"/accounts/manage/{random.choice(ids)}/statement/", "admin statement")

    @task(1)
    def margins(self):
        self.page("/margins/", "admin margins")
