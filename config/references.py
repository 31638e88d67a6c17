"""Short human references and long secret tokens."""

import secrets

# No 0/O or 1/I: people read references aloud and type them from paper.
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_reference(prefix: str) -> str:
    """`ENR-7KQ2M9`: short enough to say on the phone, not a secret."""
    return f"{prefix}-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))


def new_token() -> str:
    """A secret link token: 256 bits from the OS, URL-safe (DESIGN.md invariant 6)."""
    return secrets.token_urlsafe(32)
