"""The REST API (/api/v1/, docs/api.md): bearer tokens, problem details, the endpoints.

A top layer beside ``resellers`` (docs/architecture.md): it calls the same services as the
pages and nothing below imports it.
"""
