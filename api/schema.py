"""The OpenAPI schema's parts drf-spectacular cannot guess: the bearer scheme of
BearerTokenAuthentication, and the problem-details answers every token-authenticated
operation may give (401, 403, 404, 422, 429), as one ``Problem`` component."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from api.problems import CONTENT_TYPE, PROBLEMS


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "An API token from the API tokens page: `Authorization: Bearer didp_…`."}


PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details (docs/api.md).",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri", "description": "{PORTAL_BASE_URL}/api/problems/<code>"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "enum": sorted(PROBLEMS)},
        "instance": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                   "description": "422 only: {field: [messages]}"},
    },
}
COMMON = {"401": "No token, or an unknown, revoked or expired one.",
          "403": "The account is suspended, or may not do this.",
          "429": "Too many requests for this token: wait Retry-After seconds."}


def add_problems(result, generator, request, public):
    """POSTPROCESSING_HOOKS: the Problem component, and the common problems on every operation
    that needs a token (the public schema and docs need none)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    ref = {CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            if not any("bearerAuth" in requirement for requirement in operation.get("security", [])):
                continue
            for status, description in COMMON.items():
                operation["responses"].setdefault(status, {"description": description, "content": ref})
    return result
