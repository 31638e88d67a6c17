"""The Celery app (`celery -A config worker`, `celery -A config beat`) and how work is queued."""

import gc
import os
import threading
from typing import Any

from celery import Celery
from celery.signals import celeryd_after_setup, task_prerun
from django.db import transaction

from config.cache import outage
from config.logs import request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Celery's Django fixup runs Django's system checks in every worker, which loads every view
# (the URL checks) into processes that never answer a request: some 6 MB each. The checks
# run where they belong: at release (`manage.py migrate` runs them) and in `make test`.
os.environ.setdefault("CELERY_SKIP_CHECKS", "true")


app = Celery("regard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# A task that sweeps through work (the outbox, the survey job) stops taking new rows after
# this, well inside the soft time limit, and queues itself again for the rest.
SWEEP_BUDGET_SECONDS = 90

# Web processes import the task modules on the first kick. Celery's autodiscovery guards
# against recursion with a plain module-level flag, so a thread arriving while another
# imports returns at once without the task and its kick is lost: one import at a time.
_task_import = threading.Lock()


class _Kick:
    """Queues `task_name` with `kwargs`, as an on-commit hook (see enqueue_on_commit)."""

    def __init__(self, task_name: str, kwargs: dict[str, Any]) -> None:
        self.task_name, self.kwargs = task_name, kwargs

    def __call__(self) -> None:
        if outage.paused():
            return  # the broker failed a moment ago: the sweep will pick the work up
        try:
            if self.task_name not in app.tasks:
                # Web processes never import the task modules; the worker does at start.
                with _task_import:
                    if self.task_name not in app.tasks:  # a thread we waited for imported them
                        app.loader.import_default_modules()
            app.tasks[self.task_name].apply_async(kwargs=self.kwargs, retry=False)
        except Exception as error:
            # Warned once a minute; the process leaves the broker alone for a few seconds.
            outage.failed("jobs queued on commit (their sweeps pick the work up)", error)


def enqueue_on_commit(task_name: str, /, **kwargs: Any) -> None:
    """Queue a task by name once the current transaction commits.

    If the broker does not answer, the request still succeeds: every queued job also has
    a periodic sweep (the outbox sweep, `billing.reconcile_payments`) that finds the rows
    it would have handled, so an outage delays the work and never loses it.
    """
    transaction.on_commit(_Kick(task_name, kwargs))


def enqueue_batch_on_commit(task_name: str, /, key: str, item: Any) -> None:
    """Like enqueue_on_commit, with `item` added to the list argument `key` of the one such
    task the transaction queues: a change that owes three emails queues one task for them.

    The hook waiting in the transaction takes the item; a hook that a rolled-back savepoint
    took away is gone from the list, and a new one is queued. An item added inside a
    savepoint that then rolls back stays in the batch, so the task must find it gone and do
    nothing (as the outbox does with an email that was never committed).
    """
    for _, hook, _ in transaction.get_connection().run_on_commit:
        if isinstance(hook, _Kick) and hook.task_name == task_name and key in hook.kwargs:
            hook.kwargs[key].append(item)
            return
    transaction.on_commit(_Kick(task_name, {key: [item]}))


@task_prerun.connect
def _log_with_task_id(task_id: str | None = None, **kwargs: Any) -> None:
    # A worker's log lines carry the task's id where a web process's carry the request's.
    request_id.set(task_id or "-")


@celeryd_after_setup.connect
def _freeze_what_the_pool_inherits(**kwargs: Any) -> None:
    # Sent once everything is imported, before the pool forks: frozen objects are left out
    # of the children's garbage collections, which would otherwise copy their pages.
    gc.freeze()
