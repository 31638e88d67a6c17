"""The contact page ("Drop me a message"): an inquiry sent from a page, with the API's
checks, throttle, honeypot and crisis support (DESIGN.md, Public pages)."""

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods

from config.errors import DomainError
from config.pages import error_summary, page_fields
from config.throttling import page_throttled
from inquiries import crisis
from inquiries.models import Inquiry
from inquiries.serializers import InquiryInput, support_block
from inquiries.services import inquiry_receive
from workshops.selectors import published_offerings

# The API's fields, the honeypot among them; the language is the page's own.
FIELDS = [name for name in InquiryInput().get_fields() if name != "language"]
# The thank-you page's cookie: the reference, and whether support is needed, signed.
THANKS = "regard_thanks"
THANKS_SECONDS = 600


@never_cache
@sensitive_post_parameters()
@sensitive_variables()
@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        typed = {
            "kind": request.GET.get("kind", Inquiry.Kind.GENERAL),
            "offering": request.GET.get("offering", ""),
        }
        return _form(request, typed, {})
    typed = {name: request.POST.get(name, "").strip() for name in FIELDS}
    if wait := page_throttled(request, "inquiries"):
        minutes = max(1, round(wait / 60))
        refusal = _(
            "We've received several messages from you in a short time. Please try again in "
            "about %(minutes)s minutes; what you wrote is still here."
        ) % {"minutes": minutes}
        return _form(request, typed, {"form": [refusal]}, status=429, retry_after=wait)
    data: dict[str, Any] = {
        **typed,
        "consent": typed["consent"] == "yes",
        "team_size": typed["team_size"] or None,
        "offering": typed["offering"] or None,
    }
    serializer = InquiryInput(data=data)
    if not serializer.is_valid():
        return _form(request, typed, serializer.errors, status=400)
    fields = dict(serializer.validated_data)
    del fields["consent"]
    try:
        inquiry = inquiry_receive(**fields)
    except DomainError as error:  # an address already written to enough today
        return _form(request, typed, {"form": [error.message]}, status=error.status)
    # What the thank-you page says travels in a short-lived signed cookie, never in its
    # address: that would keep "this message needed support" in histories and logs.
    response = redirect("contact-thanks")
    sent = json.dumps({"ref": inquiry.reference, "urgent": inquiry.urgent})
    response.set_signed_cookie(
        THANKS,
        sent,
        salt=THANKS,
        max_age=THANKS_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


def _form(
    request: HttpRequest,
    typed: dict[str, str],
    errors: Any,
    *,
    status: int = 200,
    retry_after: float | None = None,
) -> HttpResponse:
    fields = page_fields(FIELDS, typed, errors)
    context = {
        "fields": fields,
        "summary": error_summary(fields, errors),
        "kinds": Inquiry.Kind.choices,
        "offerings": published_offerings().order_by("title"),
        # Nobody in crisis meets only a refusal (DESIGN.md, Public requests that send email).
        "support": support_block() if crisis.mentions_crisis(typed.get("message", "")) else None,
    }
    response = render(request, "pages/contact.html", context, status=status)
    if retry_after:
        response["Retry-After"] = str(int(retry_after))
    return response


@never_cache
@require_http_methods(["GET"])
def contact_thanks(request: HttpRequest) -> HttpResponse:
    kept = request.get_signed_cookie(THANKS, default=None, salt=THANKS, max_age=THANKS_SECONDS)
    if kept is None:
        return redirect("contact")
    sent = json.loads(kept)
    context = {"reference": sent["ref"], "support": support_block() if sent["urgent"] else None}
    response = render(request, "pages/contact_thanks.html", context)
    response.delete_cookie(THANKS, samesite="Lax")
    return response
