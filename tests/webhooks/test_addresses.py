"""A webhook reaches public addresses only: a URL's IP literal is refused by the page, and a host
name that resolves inside a private network (or is re-pointed there later) is refused when the
delivery connects, to the address it checked (webhooks/addresses.py)."""

import socket

import pytest

from webhooks import addresses
from webhooks.addresses import is_internal
from webhooks.delivery import post
from webhooks.endpoints import EndpointRefused, check_url


@pytest.mark.parametrize("address, internal", [
    ("127.0.0.1", True), ("10.1.2.3", True), ("172.16.0.9", True), ("192.168.1.1", True),
    ("169.254.169.254", True), ("0.0.0.0", True), ("::1", True), ("fe80::1%eth0", True), ("fc00::5", True),
    ("::ffff:10.0.0.1", True), ("224.0.0.1", True),
    ("93.184.216.34", False), ("2606:2800:220:1::1", False), ("hooks.example.com", False),
])
def test_which_addresses_are_internal(address, internal):
    assert is_internal(address) is internal


@pytest.fixture
def resolves_to_loopback(monkeypatch):
    """hooks.example.com, a public-looking name, resolves to the receiver on 127.0.0.1."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        return real("127.0.0.1" if host == "hooks.example.com" else host, port, *args, **kwargs)

    monkeypatch.setattr(addresses.socket, "getaddrinfo", fake)


def _via_name(receiver) -> str:
    return receiver.url.replace("127.0.0.1", "hooks.example.com")


def test_a_name_that_resolves_inside_the_network_is_not_sent_to(settings, receiver, resolves_to_loopback):
    settings.WEBHOOKS_ALLOW_LOCAL_HTTP = False
    status, answer, error = post(_via_name(receiver), "whsec_x", "id-1", b"{}")
    assert (status, answer) == (None, "") and "inside a private network" in error
    assert receiver.received == []


def test_the_same_name_is_reached_where_local_receivers_are_allowed(settings, receiver, resolves_to_loopback):
    settings.WEBHOOKS_ALLOW_LOCAL_HTTP = True  # a developer's receiver: the check above is what stops it
    status, _, error = post(_via_name(receiver), "whsec_x", "id-1", b"{}")
    assert (status, error) == (200, "") and len(receiver.received) == 1
    assert receiver.received[0].headers["Host"].startswith("hooks.example.com")  # the name, not the address


@pytest.mark.parametrize("url", ["https://10.0.0.5/hooks", "https://169.254.169.254/latest", "https://[::1]/x",
                                 "http://localhost:8000/hooks"])
def test_the_page_refuses_an_internal_address(settings, url):
    settings.WEBHOOKS_ALLOW_LOCAL_HTTP = False
    with pytest.raises(EndpointRefused) as refused:
        check_url(url)
    assert refused.value.field == "url"


def test_the_page_takes_a_public_https_url(settings):
    settings.WEBHOOKS_ALLOW_LOCAL_HTTP = False
    assert check_url(" https://hooks.example.com/did-portal ") == "https://hooks.example.com/did-portal"
