"""What every endpoint shares, set in settings.REST_FRAMEWORK (bearer token only, IsAuthenticated,
JSON only, per-token throttle, cursor pages, problem details): these classes add nothing to it
but a name to inherit, so that a new endpoint reads as the others."""

from rest_framework import generics
from rest_framework.views import APIView


class ApiView(APIView):
    """A single-object or action endpoint."""


class ApiListView(generics.ListAPIView):
    """A cursor-paginated list (api/pagination.py): set ``serializer_class``, ``ordering`` on a
    unique column and ``get_queryset`` scoped to the token's account."""
