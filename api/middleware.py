"""For every request under /api/: audit rows say source "API" (audit/context.py), whatever
view writes them; and a path that matches no route answers a 404 problem (JSON), not the
portal's HTML page. Put it right after audit.middleware.AuditContextMiddleware."""

from api.problems import not_found_response
from audit import context

PREFIX = "/api/"


class ApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(PREFIX):
            return self.get_response(request)
        with context.using(source=context.API):
            response = self.get_response(request)
        if response.status_code == 404 and getattr(request, "resolver_match", None) is None:
            return not_found_response(request)
        return response
