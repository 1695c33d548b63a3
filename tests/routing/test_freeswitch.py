"""/routing/freeswitch: mod_xml_curl's dialplan fetch answered with a well-formed
document that bridges, or refuses, and that no destination can break out of."""

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from accounts.models import Account
from dids.models import DID
from routing import freeswitch
from routing.lookup import Answer
from tests.routing.conftest import NUMBER, set_destination

# What mod_xml_curl POSTs for a dialplan fetch (a few of its many fields).
FETCH = {"section": "dialplan", "tag_name": "", "key_name": "", "key_value": "", "Event-Name": "REQUEST_PARAMS",
         "Caller-Context": "public", "Hunt-Context": "public", "Caller-Destination-Number": "18555801802"}


@pytest.fixture
def fetch(client, token):
    def fetch(**fields):
        response = client.post(reverse("routing:freeswitch"), {**FETCH, **fields},
                               HTTP_AUTHORIZATION=_basic(token))
        assert response.status_code == 200, response.content
        assert response["Content-Type"] == "text/xml; charset=utf-8"
        return ET.fromstring(response.content)
    return fetch


def _basic(token):
    import base64

    return "Basic " + base64.b64encode(f"fs1:{token}".encode()).decode()


def actions(document) -> list[tuple[str, str]]:
    assert document.tag == "document" and document.get("type") == "freeswitch/xml"
    section = document.find("section")
    assert section.get("name") == "dialplan"
    context = section.find("context")
    assert context.get("name") == "public"
    return [(a.get("application"), a.get("data")) for a in context.findall("extension/condition/action")]


def test_bridges_a_sip_uri_with_the_timeout_and_the_limit(fetch, chain):
    assert actions(fetch()) == [
        ("set", "call_timeout=45"),
        ("limit", f"hash did_portal {NUMBER} 2 !USER_BUSY"),
        ("bridge", "{leg_timeout=45}sofia/external/alice@pbx.example.com"),
    ]


@pytest.mark.parametrize("call_type, destination, bridge", [
    ("sip_device", "1001", "user/1001"),
    ("pstn", "+442079460958", "sofia/gateway/pstn/+442079460958"),
])
def test_bridges_each_call_type(fetch, chain, call_type, destination, bridge):
    set_destination(chain["bottom"], call_type, destination)
    assert actions(fetch())[-1] == ("bridge", "{leg_timeout=45}" + bridge)


def test_settings_name_the_profile_gateway_and_context(fetch, chain, settings):
    settings.ROUTING_SIP_PROFILE, settings.ROUTING_FREESWITCH_CONTEXT = "carriers", "from-carriers"
    document = fetch(**{"Caller-Context": "from-carriers", "Hunt-Context": "from-carriers"})
    assert document.find("section/context").get("name") == "from-carriers"
    assert document.find(".//action[@application='bridge']").get("data").endswith("sofia/carriers/alice@pbx.example.com")
    set_destination(chain["bottom"], "pstn", "+442079460958")
    settings.ROUTING_PSTN_GATEWAY = "carrier-b"
    document = fetch(**{"Caller-Context": "from-carriers", "Hunt-Context": "from-carriers"})
    assert document.find(".//action[@application='bridge']").get("data") == "{leg_timeout=45}sofia/gateway/carrier-b/+442079460958"


def test_unlimited_calls_set_no_limit(fetch, chain):
    DID.objects.filter(pk=chain["did"].pk).update(concurrent_calls=0)
    assert [app for app, _ in actions(fetch())] == ["set", "bridge"]


@pytest.mark.parametrize("change, reason, response, cause", [
    (lambda c: DID.objects.filter(pk=c["did"].pk).update(status="inactive"), "inactive", "404 Not Found",
     "UNALLOCATED_NUMBER"),
    (lambda c: Account.objects.filter(pk=c["customer"].pk).update(status="suspended"), "suspended", "403 Forbidden",
     "CALL_REJECTED"),
    (lambda c: set_destination(c["bottom"], "", ""), "no_destination", "480 Temporarily Unavailable",
     "SUBSCRIBER_ABSENT"),
])
def test_a_refusal_responds_and_hangs_up_with_no_destination(fetch, chain, change, reason, response, cause):
    change(chain)
    document = fetch()
    assert actions(document) == [("set", f"did_portal_reason={reason}"), ("respond", response), ("hangup", cause)]
    assert b"pbx" not in ET.tostring(document)


def test_unknown_and_garbage_numbers(fetch, chain):
    assert actions(fetch(**{"Caller-Destination-Number": "+18555801803"}))[1] == ("respond", "404 Not Found")
    assert actions(fetch(**{"Caller-Destination-Number": "s"}))[1] == ("respond", "484 Address Incomplete")


def test_other_contexts_and_sections_are_left_to_freeswitch(fetch, chain):
    """A dialplan binding is asked about internal calls too: "not found" sends FreeSWITCH to its own files."""
    for fields in ({"Caller-Context": "default", "Hunt-Context": "default"}, {"section": "directory"}):
        document = fetch(**fields)
        assert document.find("section").get("name") == "result"
        assert document.find("section/result").get("status") == "not found"


def test_get_and_the_destination_number_field_work_too(client, token, chain):
    response = client.get(reverse("routing:freeswitch"), {"destination_number": NUMBER},
                          HTTP_AUTHORIZATION=f"Bearer {token}")
    assert ET.fromstring(response.content).find(".//action[@application='bridge']") is not None


def test_no_number_is_a_failed_lookup(client, token):
    response = client.post(reverse("routing:freeswitch"), {"section": "dialplan"}, HTTP_AUTHORIZATION=_basic(token))
    assert response.status_code == 400


def test_posting_needs_no_csrf_token_but_the_switch_token(token, chain):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("routing:freeswitch"), FETCH, HTTP_AUTHORIZATION=_basic(token))
    assert response.status_code == 200


HOSTILE = ['alice@x.example"/><action application="system" data="rm -rf /"/><x a="',
           "alice@x.example'&amp;<!-- ]]> &#0; \u202e", "a&b<c>d\"e'f"]


@pytest.mark.parametrize("destination", HOSTILE)
def test_a_hostile_destination_stays_one_attribute_value(destination):
    """The lookup refuses such destinations (invalid_destination); the document is safe even without that."""
    answer = Answer(NUMBER, None, "sip_device", destination, 30, 1)
    document = ET.fromstring(freeswitch.dialplan(answer))
    applications = [a.get("application") for a in document.iter("action")]
    assert applications == ["set", "limit", "bridge"]
    assert document.find(".//action[@application='bridge']").get("data") == "{leg_timeout=30}user/" + destination


def test_a_hostile_destination_in_the_database_is_refused(fetch, chain):
    set_destination(chain["bottom"], "sip_uri", HOSTILE[0])
    document = fetch()
    assert actions(document)[0] == ("set", "did_portal_reason=invalid_destination")
    assert b"system" not in ET.tostring(document)


def test_at_most_two_queries(fetch, chain, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        fetch()
