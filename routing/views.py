"""The switch's endpoints. Token only: a portal login (even an admin's) is not enough.

Neither view reads request.user or request.session, and a switch sends no session
cookie, so a lookup costs two queries (the token, the number) and never touches the
session or user tables.

HTTP 200 is an answer about the call (``allow`` true or false, with a reason);
401 (token) and 400 (no number sent) mean the lookup itself failed, as do 5xx.
"""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from routing import freeswitch, tokens
from routing.lookup import answer_for

_NO_STORE = {"Cache-Control": "no-store"}  # an answer changes the moment a DID is suspended


def _refused_token(scheme: str) -> JsonResponse:
    response = JsonResponse({"error": "A valid switch token is required."}, status=401, headers=_NO_STORE)
    response["WWW-Authenticate"] = f'{scheme} realm="routing"'
    return response


def _no_number() -> JsonResponse:
    return JsonResponse({"error": "Send the called number: number=..."}, status=400, headers=_NO_STORE)


@require_safe
def lookup(request):
    """GET /routing/lookup?number=+18555801802 -> the JSON answer."""
    switch = tokens.switch_for(tokens.presented(request))
    if switch is None:
        return _refused_token("Bearer")
    number = request.GET.get("number")
    if number is None:
        return _no_number()
    return JsonResponse(answer_for(number, switch.country).as_dict(), headers=_NO_STORE)


@csrf_exempt  # mod_xml_curl POSTs its fields; the token guards it and nothing is changed
@require_http_methods(["GET", "HEAD", "POST"])
def freeswitch_dialplan(request):
    """mod_xml_curl's dialplan fetch -> a dialplan document (or "not found" for other contexts)."""
    switch = tokens.switch_for(tokens.presented(request))
    if switch is None:
        return _refused_token("Basic")
    fields = request.POST if request.method == "POST" else request.GET
    context = fields.get("Hunt-Context") or fields.get("Caller-Context") or settings.ROUTING_FREESWITCH_CONTEXT
    if fields.get("section", "dialplan") != "dialplan" or context != settings.ROUTING_FREESWITCH_CONTEXT:
        return _xml(freeswitch.not_found())
    number = fields.get("Caller-Destination-Number") or fields.get("destination_number") or fields.get("number")
    if number is None:
        return _no_number()
    return _xml(freeswitch.dialplan(answer_for(number, switch.country)))


def _xml(body: bytes) -> HttpResponse:
    return HttpResponse(body, content_type="text/xml; charset=utf-8", headers=_NO_STORE)
