import pytest

from tests.webhooks.receiver import Receiver


@pytest.fixture(autouse=True)
def _local_receivers(settings):
    settings.WEBHOOKS_ALLOW_LOCAL_HTTP = True


@pytest.fixture
def receiver():
    running = Receiver().start()
    yield running
    running.stop()
