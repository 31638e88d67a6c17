"""`enqueue_on_commit` in a web process, where the task modules are imported on first use."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from celery.loaders import base as celery_loaders
from django.db import connection

from config.celery import app as celery_app
from config.celery import enqueue_on_commit
from outbox.tasks import dispatch_outbox

pytestmark = pytest.mark.django_db(transaction=True)  # each thread queues after its own commit

THREADS = 16


def test_threads_that_queue_at_once_in_a_fresh_process_all_find_the_task(monkeypatch):
    name = dispatch_outbox.name
    task = celery_app.tasks[name]  # the task itself; `dispatch_outbox` looks it up by name
    queued: list[dict[str, int]] = []
    monkeypatch.setattr(task, "apply_async", lambda kwargs, **options: queued.append(kwargs))
    # As in a web process before the first kick: the task is not registered yet, and
    # finding the apps' task modules takes a moment in which the other threads arrive.
    monkeypatch.delitem(celery_app.tasks, name)
    find_related_module = celery_loaders.find_related_module

    def slow_import(package: str, related_name: str) -> object:
        time.sleep(0.01)
        if package == "enrollments":
            celery_app.tasks.register(task)
        return find_related_module(package, related_name)

    monkeypatch.setattr(celery_loaders, "find_related_module", slow_import)
    start = threading.Barrier(THREADS)

    def kick(mail_id: int) -> None:
        try:
            start.wait(timeout=10)
            enqueue_on_commit(name, mail_id=mail_id)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for future in [pool.submit(kick, mail_id) for mail_id in range(THREADS)]:
            future.result()

    assert sorted(kwargs["mail_id"] for kwargs in queued) == list(range(THREADS))
