"""GET /healthz for the load balancer: 200 when this app server can reach its database.

``HealthCheckMiddleware`` (first in MIDDLEWARE) answers it before anything else, so a
probe works whatever its Host header (load balancers often send the server's IP, which
ALLOWED_HOSTS refuses), over plain HTTP (no HTTPS redirect), without a session, a login
or CSRF. One query, ``SELECT 1``. The answer says nothing about versions, hosts or
settings: {"status": "ok", "database": "ok"} or, with 503,
{"status": "error", "database": "unreachable"}; the reason goes to the log.
"""

import logging

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpResponseNotAllowed, JsonResponse

logger = logging.getLogger("core.health")

PATH = "/healthz"


def healthz(request):
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.error("health check: the database is unreachable: %s",
                     (str(error).strip().splitlines() or [type(error).__name__])[0])
        response = JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    else:
        response = JsonResponse({"status": "ok", "database": "ok"})
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    """Answer /healthz before the host check, the HTTPS redirect, sessions and CSRF."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info in (PATH, PATH + "/"):
            return healthz(request)
        return self.get_response(request)
