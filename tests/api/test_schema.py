"""GET /api/v1/schema/: valid OpenAPI 3 (openapi-spec-validator), public, the bearer scheme
declared, problem answers described; the two documentation pages served from our static files."""

import pytest
from openapi_spec_validator import validate

from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def schema() -> dict:
    answer = Api().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert answer.status_code == 200
    return answer.json()


def test_the_schema_is_valid_openapi_3():
    spec = schema()
    assert spec["openapi"].startswith("3.")
    validate(spec)


def test_the_yaml_form_is_the_default():
    answer = Api().get("/api/v1/schema/")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("application/vnd.oai.openapi")
    assert answer.content.startswith(b"openapi: 3.")


def test_the_bearer_scheme_is_declared_and_required_by_the_endpoints():
    spec = schema()
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": spec["components"]["securitySchemes"]["bearerAuth"]["description"]}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("security") == [{"bearerAuth": []}], f"{method} {path}"
            for status in ("401", "403", "429"):
                content = operation["responses"][status]["content"]
                assert content == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def test_the_schema_and_docs_are_outside_the_schema_and_public():
    paths = schema()["paths"]
    assert not [p for p in paths if "schema" in p or "docs" in p or "redoc" in p]


@pytest.mark.parametrize("path, asset", [
    ("/api/v1/docs/", "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"),
    ("/api/v1/redoc/", "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"),
])
def test_the_documentation_pages_use_our_static_files_and_nothing_inline(path, asset):
    answer = Api().get(path)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert asset in html
    assert "<style" not in html and "googleapis" not in html and "cdn" not in html.lower()
    assert "<script>" not in html  # every script is a file (CSP: script-src 'self')


def test_swagger_uis_start_up_script_is_a_file():
    answer = Api().get("/api/v1/docs/?script=")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in answer.content.decode() and "/api/v1/schema/" in answer.content.decode()


def test_the_schema_builds_without_a_warning(tmp_path):
    """drf-spectacular warns when it has to guess (a view without a serializer, a field of
    unknown type): each endpoint says what it takes and answers (@extend_schema)."""
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3.")
