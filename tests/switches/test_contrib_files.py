"""The shipped switch configurations check with their tools, and their documentation names
every module they load."""

import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import KAMAILIO
from tests.switches.kamailio import CONFIG

ROOT = Path(__file__).resolve().parents[2]
KAMAILIO_README = ROOT / "contrib" / "kamailio" / "README.md"
FREESWITCH = ROOT / "contrib" / "freeswitch"
DOCS = ROOT / "docs" / "switches.md"


def _kamailio_modules() -> set[str]:
    """Every module kamailio.cfg loads, the commented-out accounting ones included."""
    return set(re.findall(r'^#? ?loadmodule "(\w+)\.so"', CONFIG.read_text(), re.MULTILINE))


def test_the_kamailio_readme_and_the_docs_name_every_module_it_loads():
    modules = _kamailio_modules()
    assert {"http_client", "jansson", "tm", "dialog", "acc"} <= modules
    readme, docs = KAMAILIO_README.read_text(), DOCS.read_text()
    assert {m for m in modules if f"`{m}`" not in readme} == set()
    assert {m for m in modules if f"`{m}`" not in docs} == set()


def test_the_freeswitch_readme_and_the_docs_name_every_module_it_loads():
    config = ET.parse(FREESWITCH / "autoload_configs" / "modules.conf.xml").getroot()
    modules = {load.get("module") for load in config.iter("load")}
    readme, docs = (FREESWITCH / "README.md").read_text(), DOCS.read_text()
    assert {m for m in modules if f"`{m}`" not in readme} == set()
    assert {m for m in modules if f"`{m}`" not in docs} == set()


@pytest.mark.kamailio
@pytest.mark.parametrize("defines", [
    [],  # as shipped
    ["-A", "WITH_TCP", "-A", "ADVERTISE_ADDR=203.0.113.10", "-A", 'CARRIER_NETS="198.51.100.0/24,203.0.113.7/32"',
     "-A", 'PORTAL_CA_FILE="/etc/ssl/certs/ca-certificates.crt"', "-A", "LISTEN_PORT=5080", "-A", "LOG_LEVEL=1"],
], ids=["defaults", "every-option"])
def test_kamailio_checks_the_config(defines, tmp_path):
    config = tmp_path / "kamailio.cfg"
    config.write_bytes(CONFIG.read_bytes())  # away from a did-portal-local.cfg beside the shipped one
    result = subprocess.run([KAMAILIO, "-c", "-f", str(config), *defines], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "config file ok" in (result.stdout + result.stderr).lower()
