"""An answer as the dialplan document FreeSWITCH's mod_xml_curl expects.

Built with ElementTree, so every value is escaped: a destination can never add
an element or an attribute. Which characters a destination may hold at all
(nothing that means something in a dial string) is decided in routing/lookup.py.
"""

from xml.etree.ElementTree import Element, SubElement, tostring

from django.conf import settings

from routing import lookup

# Refusal -> (SIP response, hangup cause).
_REFUSALS = {
    lookup.INVALID_NUMBER: ("484 Address Incomplete", "INVALID_NUMBER_FORMAT"),
    lookup.UNKNOWN_NUMBER: ("404 Not Found", "UNALLOCATED_NUMBER"),
    lookup.INACTIVE: ("404 Not Found", "UNALLOCATED_NUMBER"),
    lookup.NO_HOLDER: ("404 Not Found", "UNALLOCATED_NUMBER"),
    lookup.SUSPENDED: ("403 Forbidden", "CALL_REJECTED"),
    lookup.NO_DESTINATION: ("480 Temporarily Unavailable", "SUBSCRIBER_ABSENT"),
    lookup.INVALID_DESTINATION: ("480 Temporarily Unavailable", "SUBSCRIBER_ABSENT"),
}


def dial_string(call_type: str, destination: str) -> str:
    if call_type == "sip_uri":
        target = destination[4:] if destination.lower().startswith("sip:") else destination
        return f"sofia/{settings.ROUTING_SIP_PROFILE}/{target}"
    if call_type == "sip_device":
        return f"user/{destination}"
    return f"sofia/gateway/{settings.ROUTING_PSTN_GATEWAY}/{destination}"


def _actions(answer: lookup.Answer) -> list[tuple[str, str]]:
    if not answer.allow:
        response, cause = _REFUSALS[answer.reason]
        return [("set", f"did_portal_reason={answer.reason}"), ("respond", response), ("hangup", cause)]
    actions = [("set", f"call_timeout={answer.call_timeout}")]
    if answer.concurrent_calls:  # 0 = unlimited: no limit at all
        actions.append(("limit", f"hash did_portal {answer.number} {answer.concurrent_calls} !USER_BUSY"))
    leg = f"{{leg_timeout={answer.call_timeout}}}{dial_string(answer.call_type, answer.destination)}"
    actions.append(("bridge", leg))
    return actions


def _document(section: str) -> tuple[Element, Element]:
    document = Element("document", type="freeswitch/xml")
    return document, SubElement(document, "section", name=section)


def dialplan(answer: lookup.Answer) -> bytes:
    document, section = _document("dialplan")
    context = SubElement(section, "context", name=settings.ROUTING_FREESWITCH_CONTEXT)
    extension = SubElement(context, "extension", name="did_portal")
    condition = SubElement(extension, "condition", field="destination_number", expression="^.*$")
    for application, data in _actions(answer):
        SubElement(condition, "action", application=application, data=data)
    return tostring(document, encoding="utf-8")


def not_found() -> bytes:
    """'Not mine': FreeSWITCH falls back to its own XML files (another context or section)."""
    document, section = _document("result")
    SubElement(section, "result", status="not found")
    return tostring(document, encoding="utf-8")
