"""Imported first by the bench's worker (PYTHONPATH): the worker runs as production's does,
where only the project's runtime dependencies are installed.

The bench's own environment also holds aiohttp (its load generator, localstripe) and
httpx (brought by the tests' standardwebhooks). The stripe library imports whichever
asynchronous HTTP library it finds installed when it is itself imported
(stripe._http_client), and Regard makes no asynchronous Stripe calls: here that would be
some 20 MB in a worker that production never has. Hidden from the worker, their imports
fail as they do in production, and stripe uses no async client.
"""

import sys

for development_only in ("aiohttp", "httpx"):
    sys.modules[development_only] = None  # type: ignore[assignment]
