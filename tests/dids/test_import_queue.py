"""Browser imports of large files on the task queue (issue 17, part 6): the worker imports,
the page shows rows done, rate and time left and survives a reload, and the import stays all
or nothing. The queue here is tests/dids/task_queue.py: tasks wait until the test runs them."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django_tasks import task_backends

from dids.importing import queued, writer
from dids.importing.csv_file import Choices
from dids.models import DID, DIDImport
from tests.dids.task_queue import HeldBackend
from tests.dids.test_import_pages import token_of, upload


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    settings.DID_IMPORT_DIR = str(tmp_path / "imports")


@pytest.fixture
def queue(settings):
    settings.TASKS = {"default": {"BACKEND": "tests.dids.task_queue.HeldBackend"}}
    settings.DID_IMPORT_QUEUE_MB = 0  # every file goes to the worker
    HeldBackend.results.clear()
    yield task_backends["default"]
    HeldBackend.results.clear()


def confirm(client) -> str:
    token = token_of(upload(client))
    response = client.post(reverse("dids:import_confirm", args=[token]))
    assert response.status_code == 302
    return token, response["Location"]


def test_the_worker_imports_and_the_page_follows_it_across_reloads(admin_client, default_provider, queue,
                                                                    monkeypatch):
    token, location = confirm(admin_client)
    assert location == reverse("dids:import_progress", args=[token])
    waiting = admin_client.get(location)
    assert waiting.status_code == 200 and waiting["Refresh"] == "2"
    assert "Waiting for the import worker" in waiting.content.decode()
    assert not DID.objects.exists()  # nothing written before the worker runs

    clock = iter([100.0, 110.0])  # started at 100 s, 2,500 rows done at 110 s
    monkeypatch.setattr(queued, "time", lambda: next(clock))
    queued.ProgressFile(queued.progress_path(token))(2500, 10_000)
    page = admin_client.get(location).content.decode()  # a reload: the same import, further on
    assert "2,500 of about 10,000 rows checked" in page and "(25%)" in page
    assert "250 rows a second" in page and "0:00:30" in page
    assert 'max="10000" value="2500"' in page
    clock = iter([100.0, 140.0])
    queued.ProgressFile(queued.progress_path(token))(10_000, 10_000)
    assert "Every row is checked; writing the new DIDs" in admin_client.get(location).content.decode()

    monkeypatch.undo()  # the real clock for the worker
    queue.run_all()
    done = admin_client.get(location, follow=True)
    imported = DIDImport.objects.get()
    assert done.redirect_chain[-1][0] == reverse("dids:import_detail", args=[imported.pk])
    assert "Import #%d: 2 DIDs created; 1 invalid rows not imported." % imported.pk in done.content.decode()
    assert imported.source == DIDImport.Source.BROWSER and imported.created == 2
    assert sorted(DID.objects.values_list("number", flat=True)) == ["+18555801802", "+18555801804"]
    assert not queued.progress_path(token).exists()
    assert admin_client.get(location).status_code == 404  # used up


def test_a_failing_import_in_the_worker_writes_nothing(admin_client, default_provider, queue, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(writer, "_complete", fail)
    token, location = confirm(admin_client)
    queue.run_all()
    response = admin_client.get(location, follow=True)
    assert response.redirect_chain[-1][0] == reverse("dids:import")
    assert "Nothing was imported: the import failed" in response.content.decode()
    assert not DID.objects.exists() and not DIDImport.objects.exists()


def test_a_small_file_is_imported_at_once(admin_client, default_provider, queue, settings):
    settings.DID_IMPORT_QUEUE_MB = 1
    token, location = confirm(admin_client)
    assert location == reverse("dids:import_detail", args=[DIDImport.objects.get().pk])
    assert not HeldBackend.results  # nothing queued


def test_without_a_queue_configured_the_import_runs_in_the_request(admin_client, default_provider, settings):
    # What django-tasks uses when TASKS is unset: a task runs as it is enqueued.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.DID_IMPORT_QUEUE_MB = 0
    token, location = confirm(admin_client)
    assert location == reverse("dids:import_detail", args=[DIDImport.objects.get().pk])
    assert DID.objects.count() == 2


def test_the_progress_page_is_the_sessions_own(admin_client, admin_user, default_provider, queue):
    token, location = confirm(admin_client)
    other = Client()
    other.force_login(admin_user)  # the same admin in another browser: its own previews only
    assert other.get(location).status_code == 404


def test_a_preview_not_confirmed_has_no_progress_page(admin_client, default_provider, queue):
    token = token_of(upload(admin_client))
    assert admin_client.get(reverse("dids:import_progress", args=[token])).url == reverse("dids:import")


def test_the_admins_choices_travel_to_the_worker_unchanged():
    choices = Choices(country="US", prices="sell", overrides={0: "number", 3: ""},
                      defaults={"monthly_fee": Decimal("2.5000"), "billing_days": 30, "status": "active"})
    assert queued.choices_from_json(queued.choices_to_json(choices)) == choices
