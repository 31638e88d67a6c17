"""Staff API tokens (DESIGN.md, Integrations): made in the admin, shown once, kept hashed,
scoped, revocable, their last use noted."""

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from config.errors import InvalidInput
from integrations.models import StaffToken

# The prefix tells a Regard token from others (in logs a scanner might read) and holds no
# part of the secret.
PREFIX = "rgd_"
# The last use is written at most this often, not on every request.
LAST_USE_EVERY = timedelta(minutes=1)


def digest_of(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def staff_token_create(
    *, user: Any, name: str, scopes: Iterable[str], created_by: Any = None
) -> tuple[StaffToken, str]:
    """A new token and its plaintext, which is never kept: show it once."""
    scopes = sorted(set(scopes))
    unknown = set(scopes) - set(StaffToken.Scope.values)
    if not scopes or unknown:
        raise InvalidInput(fields={"scopes": ["Choose one or more of the scopes offered."]})
    if not user.is_staff or not user.is_active:
        raise InvalidInput(fields={"user": ["A token acts as an active staff account."]})
    plaintext = PREFIX + secrets.token_urlsafe(32)
    token = StaffToken.objects.create(
        name=name.strip()[:100] or "API token",
        user=user,
        scopes=scopes,
        prefix=plaintext[: len(PREFIX) + 4],
        digest=digest_of(plaintext),
        created_by=created_by,
    )
    return token, plaintext


def staff_token_in_use(plaintext: str, *, now: Any = None) -> StaffToken | None:
    """The live token with this plaintext (its account active and staff), or None; its last
    use is noted."""
    now = now or timezone.now()
    token = (
        StaffToken.objects.select_related("user")
        .filter(
            digest=digest_of(plaintext),
            revoked_at__isnull=True,
            user__is_active=True,
            user__is_staff=True,
        )
        .first()
    )
    if token is not None and (
        token.last_used_at is None or now - token.last_used_at >= LAST_USE_EVERY
    ):
        StaffToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def staff_tokens_revoke(tokens: QuerySet[StaffToken]) -> int:
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
