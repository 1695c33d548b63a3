"""contrib/freeswitch without FreeSWITCH (not packaged in Debian bookworm): the files are
well-formed, the fetch mod_xml_curl makes from xml_curl.conf.xml gets the portal's answer,
and the portal's dialplans use only what modules.conf.xml loads."""

import base64
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings
from django.urls import resolve

from routing.destinations import set_destination
from billing.subscriptions.purchase import purchase_did
from routing import lookup
from routing.freeswitch import dialplan
from routing.tokens import create_token
from tests.factories import DIDFactory, make_account_user

CONTRIB = Path(__file__).resolve().parents[2] / "contrib" / "freeswitch"
XML_FILES = sorted(CONTRIB.rglob("*.xml"))

# What provides each application and endpoint (FreeSWITCH's own module list).
PROVIDERS = {
    "set": "mod_dptools", "bridge": "mod_dptools", "respond": "mod_dptools", "hangup": "mod_dptools",
    "limit": "mod_dptools", "log": "mod_dptools", "user/": "mod_dptools", "sofia/": "mod_sofia",
    "limit backend hash": "mod_hash",
}


def _binding() -> dict[str, list[ET.Element]]:
    config = ET.parse(CONTRIB / "autoload_configs" / "xml_curl.conf.xml").getroot()
    [binding] = config.find("bindings").findall("binding")
    params: dict[str, list[ET.Element]] = {}
    for param in binding.findall("param"):
        params.setdefault(param.get("name"), []).append(param)
    return params


def _loaded_modules() -> set[str]:
    config = ET.parse(CONTRIB / "autoload_configs" / "modules.conf.xml").getroot()
    return {load.get("module") for load in config.find("modules").findall("load")}


def test_the_example_is_there():
    assert {p.relative_to(CONTRIB).as_posix() for p in XML_FILES} == {
        "autoload_configs/xml_curl.conf.xml", "autoload_configs/modules.conf.xml",
        "sip_profiles/external/pstn.xml", "dialplan/public.xml",
    }


@pytest.mark.parametrize("path", XML_FILES, ids=lambda p: p.relative_to(CONTRIB).as_posix())
def test_each_file_is_well_formed_xml(path):
    ET.parse(path)  # FreeSWITCH refuses its whole configuration for one broken file


def test_xml_curl_binds_only_the_dialplan_to_the_portals_freeswitch_url():
    params = _binding()
    [url] = params["gateway-url"]
    assert url.get("bindings") == "dialplan"
    assert urlsplit(url.get("value")).scheme == "https"
    assert resolve(urlsplit(url.get("value")).path).view_name == "routing:freeswitch"
    assert [p.get("value") for p in params["auth-scheme"]] == ["basic"]
    assert [p.get("value") for p in params["enable-cacert-check"]] == ["true"]
    assert [p.get("value") for p in params["enable-ssl-verifyhost"]] == ["true"]


@pytest.fixture
def portal(db):
    did = DIDFactory(number="+18555801802", setup_fee="0", monthly_fee="0", concurrent_calls=2, call_timeout=25)
    holder = make_account_user(name="Holder").account
    purchase_did(buyer_id=holder.pk, did_id=did.pk, purchase_key="fs")
    set_destination(did_id=did.pk, account_id=holder.pk, call_type="sip_uri",
                    destination="sip:alice@pbx.example.com", by=None)
    return create_token("fs1.example.net", country="US")[1]


def _fetch_as_mod_xml_curl(client, token: str, channel: dict[str, str]):
    """The POST mod_xml_curl makes for a dialplan lookup with xml_curl.conf.xml: its basic
    fields, then only the channel's variables named by enable-post-var, URL-encoded; basic
    auth with gateway-credentials (user:token)."""
    params = _binding()
    url = urlsplit(params["gateway-url"][0].get("value"))
    user, _, placeholder = params["gateway-credentials"][0].get("value").partition(":")
    assert placeholder == "PASTE-THE-TOKEN-HERE"
    posted = [p.get("value") for p in params["enable-post-var"]]
    fields = [("hostname", "fs1"), ("section", "dialplan"), ("tag_name", ""), ("key_name", ""), ("key_value", "")]
    fields += [(name, value) for name, value in channel.items() if name in posted]
    credentials = base64.b64encode(f"{user}:{token}".encode()).decode()
    return client.post(url.path, urlencode(fields), content_type="application/x-www-form-urlencoded",
                       HTTP_AUTHORIZATION=f"Basic {credentials}")


def _channel(number: str, context: str) -> dict[str, str]:
    """Some of what FreeSWITCH puts in a dialplan fetch for an incoming call."""
    return {
        "Event-Name": "REQUEST_PARAMS", "Core-UUID": "6c7f4bf2-0000-4000-8000-000000000000",
        "Channel-Name": f"sofia/external/{number}@203.0.113.5", "Caller-Caller-ID-Number": "+12025550123",
        "Caller-Destination-Number": number, "Caller-Context": context, "Hunt-Context": context,
        "Hunt-Destination-Number": number, "variable_sip_from_host": "203.0.113.5",
    }


def test_a_fetch_from_this_config_gets_the_calls_bridge(client, portal):
    response = _fetch_as_mod_xml_curl(client, portal, _channel("+18555801802", settings.ROUTING_FREESWITCH_CONTEXT))
    assert response.status_code == 200, response.content
    actions = [(a.get("application"), a.get("data")) for a in ET.fromstring(response.content).iter("action")]
    assert actions == [
        ("set", "call_timeout=25"),
        ("limit", "hash did_portal +18555801802 2 !USER_BUSY"),
        ("bridge", "{leg_timeout=25}sofia/external/alice@pbx.example.com"),
    ]


def test_a_us_carriers_10_digit_number_is_read_in_the_tokens_country(client, portal):
    response = _fetch_as_mod_xml_curl(client, portal, _channel("8555801802", settings.ROUTING_FREESWITCH_CONTEXT))
    assert b"sofia/external/alice@pbx.example.com" in response.content


def test_a_fetch_for_the_switchs_own_phones_gets_not_found(client, portal):
    response = _fetch_as_mod_xml_curl(client, portal, _channel("1001", "default"))
    result = ET.fromstring(response.content).find("section/result")
    assert result is not None and result.get("status") == "not found"


def _portal_documents():
    allowed = [lookup.Answer("+18555801802", None, call_type, destination, 30, 2)
               for call_type, destination in (("sip_uri", "sip:a@b.example"), ("sip_device", "1001"),
                                              ("pstn", "+442079460958"))]
    refused = [lookup.Answer(None if r == lookup.INVALID_NUMBER else "+18555801802", r) for r in (
        lookup.INVALID_NUMBER, lookup.UNKNOWN_NUMBER, lookup.INACTIVE, lookup.NO_HOLDER, lookup.SUSPENDED,
        lookup.NO_DESTINATION, lookup.INVALID_DESTINATION)]
    return [ET.fromstring(dialplan(answer)) for answer in allowed + refused]


def test_every_application_and_endpoint_used_is_loaded():
    documents = _portal_documents() + [ET.parse(CONTRIB / "dialplan" / "public.xml").getroot()]
    needed = set()
    for document in documents:
        for action in document.iter("action"):
            needed.add(action.get("application"))
            if action.get("application") == "limit":
                needed.add(f"limit backend {action.get('data').split()[0]}")
            if action.get("application") == "bridge":
                target = action.get("data").split("}", 1)[-1]
                needed.add(target.split("/", 1)[0] + "/")
    assert needed <= set(PROVIDERS), f"add what provides {needed - set(PROVIDERS)} to PROVIDERS and modules.conf.xml"
    assert {PROVIDERS[n] for n in needed} | {"mod_xml_curl", "mod_dialplan_xml"} <= _loaded_modules()


def test_names_match_the_portals_settings():
    [gateway] = ET.parse(CONTRIB / "sip_profiles" / settings.ROUTING_SIP_PROFILE / "pstn.xml").getroot()
    assert gateway.get("name") == settings.ROUTING_PSTN_GATEWAY
    [context] = ET.parse(CONTRIB / "dialplan" / "public.xml").getroot()
    assert context.get("name") == settings.ROUTING_FREESWITCH_CONTEXT
    # The fallback refuses (503): a failed lookup never routes a call by the static dialplan.
    assert [(a.get("application"), a.get("data")) for a in context.iter("action")][-1] == (
        "respond", "503 Service Unavailable")
