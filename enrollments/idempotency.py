"""`Idempotency-Key` for create requests: a retry with the same key and body gets the
first answer again instead of a second booking; the same key with another body is a 409.

A key is the client's own: it is kept together with who the request is for (a hash of the
email), so two people choosing the same key never see each other's answer. A first answer
is kept for a day; a request that never finished (its process died) lets its key go after
a minute, rather than answering "in progress" for ever.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework.response import Response

from config.errors import Conflict, InvalidInput
from enrollments.models import IdempotencyKey

HEADER = "Idempotency-Key"
KEPT = timedelta(hours=24)
# Longer than any request may run (gunicorn's timeout is 30 s): one still unfinished died.
IN_FLIGHT = timedelta(seconds=60)


def fingerprint(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def scoped_key(key: str, scope: str) -> str:
    return hashlib.sha256(f"{key}\n{scope.strip().lower()}".encode()).hexdigest()


def idempotent(
    key: str | None, body: Any, create: Callable[[], Response], *, scope: str
) -> Response:
    """Run `create` once per key and `scope` (who the request is for); only successful
    answers are kept, so failures may be retried."""
    if key is None:
        return create()
    if not 1 <= len(key) <= 255:
        raise InvalidInput(
            fields={HEADER: [gettext("Use a key of 1 to 255 characters, such as a UUID.")]}
        )

    scoped = scoped_key(key, scope)
    now = timezone.now()
    IdempotencyKey.objects.filter(key=scoped).filter(
        Q(created_at__lt=now - KEPT) | Q(status_code=None, created_at__lt=now - IN_FLIGHT)
    ).delete()
    asked = fingerprint(body)
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(key=scoped, request_hash=asked)
    except IntegrityError:
        record = IdempotencyKey.objects.get(key=scoped)
        if record.request_hash != asked:
            raise Conflict(
                gettext(
                    "This Idempotency-Key was already used for a different request. "
                    "Please use a new key for a new booking."
                ),
                code="idempotency_key_reused",
            ) from None
        if record.status_code is None:
            raise Conflict(
                gettext(
                    "We're still working on the first request with this key. "
                    "Please wait a moment and try again."
                ),
                code="request_in_progress",
            ) from None
        return Response(record.response, status=record.status_code)

    try:
        response = create()
    except BaseException:
        IdempotencyKey.objects.filter(pk=record.pk).delete()
        raise
    IdempotencyKey.objects.filter(pk=record.pk).update(
        status_code=response.status_code, response=response.data
    )
    return response
