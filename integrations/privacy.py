"""Integrations hold no one's personal data: a feed is a secret address and whose it is; a
token, a hash and the account it acts as."""

from config.privacy import declare_free
from integrations.models import CalendarFeed, StaffToken

declare_free(CalendarFeed, "token", "owner", why="the secret address, and whose feed it is")
declare_free(StaffToken, "name", "scopes", "prefix", "digest", why="a key's label, scopes and hash")
