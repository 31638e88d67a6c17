"""Integrations hold no one's personal data: a feed is a secret address and whose it is; a
token, a hash and the account it acts as."""

from config.privacy import declare_free
from integrations.models import (
    CalendarFeed,
    StaffToken,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)

declare_free(CalendarFeed, "token", "owner", why="the secret address, and whose feed it is")
declare_free(StaffToken, "name", "scopes", "prefix", "digest", why="a key's label, scopes and hash")
declare_free(
    WebhookEndpoint,
    "url", "description", "events", "secret", "disabled_reason",
    why="another system's address and what it is sent",
)  # fmt: skip
declare_free(WebhookMessage, "msg_id", "type", "body", why="ids and references only")
declare_free(WebhookDelivery, "status", "last_error", why="how a delivery went")
declare_free(WebhookAttempt, "error", why="how a try went")
