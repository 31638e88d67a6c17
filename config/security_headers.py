"""Headers that keep the server-rendered pages to themselves."""

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

STRIPES_API = "https://api.stripe.com"


def stripe_js_url() -> str:
    """Stripe.js: Stripe's own, or the one of the stand-in STRIPE_API_BASE points at."""
    if settings.STRIPE_JS_URL:
        return str(settings.STRIPE_JS_URL)
    base = settings.STRIPE_API_BASE.rstrip("/")
    return "https://js.stripe.com/v3/" if base == STRIPES_API else f"{base}/js.stripe.com/v3/"


def content_security_policy() -> str:
    """Our own origin for everything, and Stripe's for paying: Stripe.js, its card frames,
    its API, its Checkout page. The pages' inline styles are ours; no inline script runs."""
    js, api = _origin(stripe_js_url()), _origin(settings.STRIPE_API_BASE)
    if js == "https://js.stripe.com":
        js += " https://*.js.stripe.com"  # Stripe.js loads its parts from there too
    return (
        f"default-src 'self'; script-src 'self' {js}; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data:; font-src 'self'; connect-src 'self' {api}; "
        f"frame-src {js} https://hooks.stripe.com; "
        "form-action 'self' https://checkout.stripe.com; "
        "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class ContentSecurityPolicyMiddleware:
    """Every HTML page (the admin's too) says where its scripts, styles and forms may come
    from (`content_security_policy`), so an injected script or a form posting elsewhere cannot
    run. The API's documentation page is left out: Swagger UI starts with an inline script.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        is_page = response.get("Content-Type", "").startswith("text/html")
        if is_page and not request.path.startswith("/api/"):
            response.headers.setdefault("Content-Security-Policy", content_security_policy())
        return response
