import pytest

from tests.audit.helpers import IP


@pytest.fixture
def admin_client(client, admin_user):
    """The admin's browser, from a known address."""
    client.defaults["REMOTE_ADDR"] = IP
    client.force_login(admin_user)
    return client


@pytest.fixture
def reseller_client(client, reseller_user):
    client.defaults["REMOTE_ADDR"] = IP
    client.force_login(reseller_user)
    return client
