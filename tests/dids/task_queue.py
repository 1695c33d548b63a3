"""A task backend for tests: tasks wait, like on the database queue, until the test runs them
(``run_all``) as the worker would; their results are kept for the progress page."""

from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.base import TaskResult, TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist
from django_tasks.utils import get_random_id
from django.utils import timezone


class HeldBackend(ImmediateBackend):
    supports_get_result = True
    results: dict[str, TaskResult] = {}

    def enqueue(self, task, args, kwargs):
        self.validate_task(task)
        result = TaskResult(task=task, id=get_random_id(), status=TaskResultStatus.READY, enqueued_at=timezone.now(),
                            started_at=None, last_attempted_at=None, finished_at=None, args=args, kwargs=kwargs,
                            backend=self.alias, errors=[], worker_ids=[])
        HeldBackend.results[result.id] = result
        return result

    def get_result(self, result_id):
        try:
            return HeldBackend.results[result_id]
        except KeyError:
            raise TaskResultDoesNotExist(result_id) from None

    def run_all(self) -> None:
        for result in list(HeldBackend.results.values()):
            if result.status == TaskResultStatus.READY:
                self._execute_task(result)
