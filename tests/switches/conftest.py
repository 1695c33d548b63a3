import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed switch test shows the switch's log (set by the fixture that started it)."""
    outcome = yield
    report = outcome.get_result()
    log = getattr(item, "switch_log", None)
    if report.failed and log is not None:
        report.sections.append(("Kamailio log", log()))
