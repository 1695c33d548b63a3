"""The API's endpoints, one module per area (account.py, ...) on ``base.ApiView``; the schema
and its two documentation pages in docs.py. docs/api.md says how to add one."""
