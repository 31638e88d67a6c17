"""`Idempotency-Key` for create requests: a retry with the same key and body gets the
first answer again instead of a second booking; the same key with another body is a 409."""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from rest_framework.response import Response

from config.errors import Conflict, InvalidInput
from enrollments.models import IdempotencyKey

HEADER = "Idempotency-Key"


def _fingerprint(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def idempotent(key: str | None, body: Any, create: Callable[[], Response]) -> Response:
    """Run `create` once per key; only successful answers are kept, so failures may be retried."""
    if key is None:
        return create()
    if not 1 <= len(key) <= 255:
        raise InvalidInput(fields={HEADER: ["Use a key of 1 to 255 characters, such as a UUID."]})

    fingerprint = _fingerprint(body)
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(key=key, request_hash=fingerprint)
    except IntegrityError:
        record = IdempotencyKey.objects.get(key=key)
        if record.request_hash != fingerprint:
            raise Conflict(
                "This Idempotency-Key was already used for a different request. "
                "Please use a new key for a new booking.",
                code="idempotency_key_reused",
            ) from None
        if record.status_code is None:
            raise Conflict(
                "We're still working on the first request with this key. "
                "Please wait a moment and try again.",
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
