"""The public contract of issue 18 against the generated schema: every path and field named in
the issue that exists so far, with the method and the fields' types. Paths and field names are
stable (the version is in the path): a rename fails here.

Adding an endpoint: move its row from PENDING to CONTRACT with its fields (what the issue
names; more fields are allowed). test_pending_paths_are_not_served_yet fails while a served
path is still in PENDING, so no endpoint lands without its row.
"""

import pytest

from tests.api.test_schema import schema

pytestmark = pytest.mark.django_db

MONEY = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{4}$"}  # money: exact, 4 places, a string

ACCOUNT_FIELDS = {"number": {"type": "string"}, "name": {"type": "string"}, "kind": {}, "parent": {"type": "string"},
                  "email": {"type": "string"}, "username": {"type": "string"}, "balance": MONEY,
                  "credit_limit": MONEY, "status": {}, "created_at": {"type": "string", "format": "date-time"}}
ENTRY_FIELDS = {"account_number": {"type": "string"}, "kind": {}, "amount": MONEY, "description": {"type": "string"},
                "balance_after": MONEY, "created_at": {"type": "string", "format": "date-time"}}
PRODUCT_FIELDS = {
    "category": {}, "number": {"type": "string"}, "provider": {"type": "string"}, "country": {"type": "string"},
    "buy_cost": MONEY, "city": {"type": "string"}, "province": {"type": "string"}, "status": {},
    "connection_cost": MONEY, "grace_time": {"type": "integer"}, "cost_per_min": MONEY,
    "initial_increment": {"type": "integer"}, "increment": {"type": "integer"}, "setup_fee": MONEY,
    "monthly_fee": MONEY, "call_timeout": {"type": "integer"}, "billing_type": {},
    "billing_days": {"type": "integer"}, "concurrent_calls": {"type": "integer"}, "holder": {"type": "string"},
}

# (method, path) -> {field of the 200/201 answer: what its schema must contain}
CONTRACT = {
    ("get", "/api/v1/account/"): {
        "number": {"type": "string"}, "name": {"type": "string"}, "balance": MONEY, "credit_limit": MONEY,
        "status": {}, "currency": {"type": "string"},
    },
    ("get", "/api/v1/available-dids/"): {
        "number": {"type": "string"}, "country": {"type": "string"}, "city": {"type": "string"},
        "province": {"type": "string"}, "setup_fee": MONEY, "monthly_fee": MONEY, "billing_type": {},
        "billing_days": {"type": "integer"},
    },
    ("post", "/api/v1/purchases/"): {"numbers": {"type": "array"}, "total": MONEY, "balance": MONEY},
    **{("get", path): {
        "number": {"type": "string"}, "country": {"type": "string"}, "city": {"type": "string"},
        "subscription": {"type": "object"}, "next_renewal": {"type": "string", "format": "date-time"},
        "status": {}, "destination": {"type": "object"}, "sell_cost": {"type": "object"},
    } for path in ("/api/v1/dids/", "/api/v1/dids/{number}/")},
    ("post", "/api/v1/dids/{number}/release/"): {"number": {"type": "string"}, "released": {"type": "boolean"}},
    ("put", "/api/v1/dids/{number}/destination/"): {"number": {"type": "string"}, "destination": {"type": "object"}},
    ("put", "/api/v1/dids/{number}/sell-cost/"): {"number": {"type": "string"}, "buyer": {"type": "string"},
                                                  "setup_fee": MONEY, "price": MONEY},
    ("get", "/api/v1/statement/"): {"created_at": {"type": "string", "format": "date-time"}, "kind": {},
                                    "description": {"type": "string"}, "did": {"type": "string"},
                                    "amount": MONEY, "balance_after": MONEY},
    ("get", "/api/v1/calls/"): {"started_at": {"type": "string", "format": "date-time"},
                                "call_id": {"type": "string"}, "did": {"type": "string"},
                                "answered_seconds": {"type": "integer"}, "amount": MONEY},
    # A reseller's customers (its own accounts) and the admin's accounts: the same fields.
    **{(method, path): ACCOUNT_FIELDS for method, path in [
        ("get", "/api/v1/customers/"), ("post", "/api/v1/customers/"),
        ("get", "/api/v1/customers/{account_number}/"), ("patch", "/api/v1/customers/{account_number}/"),
        ("get", "/api/v1/admin/accounts/"), ("post", "/api/v1/admin/accounts/"),
        ("get", "/api/v1/admin/accounts/{account_number}/"), ("patch", "/api/v1/admin/accounts/{account_number}/"),
    ]},
    **{("post", path): ENTRY_FIELDS for path in ("/api/v1/customers/{account_number}/payments/",
                                                 "/api/v1/admin/accounts/{account_number}/funds/")},
    # Create Product's fields (the admin's DID catalogue).
    **{(method, path): PRODUCT_FIELDS for method, path in [
        ("get", "/api/v1/admin/dids/"), ("post", "/api/v1/admin/dids/"),
        ("get", "/api/v1/admin/dids/{number}/"), ("patch", "/api/v1/admin/dids/{number}/"),
    ]},
}

# Named by issue 18, not built yet (later parts of the issue).
PENDING = [
]


def _resolve(spec, node: dict) -> dict:
    while "$ref" in node:
        node = spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    if "allOf" in node and len(node["allOf"]) == 1:
        return {**_resolve(spec, node["allOf"][0]), **{k: v for k, v in node.items() if k != "allOf"}}
    return node


def _answer_schema(spec, operation) -> dict:
    for status in ("200", "201"):
        if status in operation["responses"]:
            body = _resolve(spec, operation["responses"][status]["content"]["application/json"]["schema"])
            if body.get("type") == "object" and "results" in body.get("properties", {}):  # a cursor page
                return _resolve(spec, body["properties"]["results"]["items"])
            return body
    raise AssertionError(f"no 200/201 answer: {sorted(operation['responses'])}")


@pytest.mark.parametrize("method, path", sorted(CONTRACT))
def test_each_contract_path_and_field_is_in_the_schema(method, path):
    spec = schema()
    assert path in spec["paths"] and method in spec["paths"][path], f"{method.upper()} {path} missing"
    body = _answer_schema(spec, spec["paths"][path][method])
    properties = body["properties"]
    for field, wanted in CONTRACT[(method, path)].items():
        assert field in properties, f"{method.upper()} {path}: no field {field!r}"
        actual = _resolve(spec, properties[field])
        for key, value in wanted.items():
            assert actual.get(key) == value, f"{method.upper()} {path} {field}.{key}: {actual.get(key)!r} != {value!r}"


def test_pending_paths_are_not_served_yet():
    paths = schema()["paths"]
    served = [f"{m.upper()} {p}" for m, p in PENDING if m in paths.get(p, {})]
    assert not served, f"move these to CONTRACT with their fields: {served}"


def test_every_served_operation_is_in_the_contract_or_pending():
    paths = schema()["paths"]
    known = set(CONTRACT) | set(PENDING)
    extra = [f"{m.upper()} {p}" for p, ops in paths.items() for m in ops if (m, p) not in known and m != "parameters"]
    assert not extra, f"operations outside issue 18's contract (add a CONTRACT row): {extra}"
