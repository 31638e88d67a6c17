"""The proposal as a PDF, for an organization's purchasing department: who offers what,
when, for how much (per tax rate), until when, and on which terms."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from billing.pdf import FONT, NEXT_LINE, Document
from config.money import format_amount
from organizations.models import Proposal
from organizations.services import proposal_priced
from workshops.calendar import describe_span


def proposal_pdf(proposal: Proposal) -> bytes:
    with translation.override(proposal.language):
        return bytes(_draw(proposal).output())


def _draw(proposal: Proposal) -> Document:
    currency = proposal.offering.currency
    money = lambda cents: f"{format_amount(cents, currency)} {currency}"  # noqa: E731
    vat = settings.PRACTICE_VAT_ID
    pdf = Document(" · ".join(filter(None, [settings.PRACTICE_NAME, vat and f"VAT ID {vat}"])))
    pdf.set_title(f"{settings.PRACTICE_NAME} {proposal.reference}")
    pdf.add_page()
    pdf.set_font(FONT, "B", 18)
    pdf.cell(0, 10, _("Proposal %(reference)s") % {"reference": proposal.reference}, **NEXT_LINE)
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(
        0,
        5,
        "\n".join([settings.PRACTICE_NAME, *settings.PRACTICE_ADDRESS.splitlines()]),
        **NEXT_LINE,
    )
    pdf.ln(4)
    pdf.set_font(FONT, "B", 10)
    pdf.cell(0, 5, _("For"), **NEXT_LINE)
    pdf.set_font(FONT, "", 10)
    organization = proposal.organization
    pdf.multi_cell(
        0,
        5,
        "\n".join(filter(None, [organization.name if organization else "", proposal.contact_name])),
        **NEXT_LINE,
    )
    pdf.ln(4)
    facts = [
        (_("Offering"), proposal.offering.title),
        (_("Seats"), str(proposal.seats)),
        (_("Where"), proposal.location),
        (
            _("Valid until"),
            date_format(proposal.valid_until, "DATE_FORMAT"),
        ),
    ]
    for label, value in facts:
        if value:
            pdf.set_font(FONT, "B", 10)
            pdf.cell(40, 6, label)
            pdf.set_font(FONT, "", 10)
            pdf.cell(0, 6, value, **NEXT_LINE)
    pdf.ln(2)
    pdf.set_font(FONT, "B", 10)
    pdf.cell(0, 6, _("Dates to choose from"), **NEXT_LINE)
    pdf.set_font(FONT, "", 10)
    length = timedelta(minutes=proposal.offering.duration_minutes)
    for option in proposal.options.all():
        when = describe_span(
            option.starts_at, option.starts_at + length, settings.PRACTICE_TIME_ZONE
        )
        pdf.cell(0, 6, f"• {when}", **NEXT_LINE)
    pdf.ln(4)
    priced = proposal_priced(proposal)
    widths = (100, 16, 20, 38)
    pdf.set_font(FONT, "B", 9)
    for width, title in zip(
        widths, (_("Description"), _("Qty"), _("Tax"), _("Amount")), strict=True
    ):
        pdf.cell(width, 7, title, border="B", align="L" if width == widths[0] else "R")
    pdf.ln()
    pdf.set_font(FONT, "", 9)
    for line in priced:
        rate = f"{line.tax_rate:f}".rstrip("0").rstrip(".") + "%"
        pdf.cell(widths[0], 6, line.description)
        pdf.cell(widths[1], 6, str(line.quantity), align="R")
        pdf.cell(widths[2], 6, rate, align="R")
        pdf.cell(widths[3], 6, money(line.net_cents), align="R", **NEXT_LINE)
    label_width = sum(widths[:-1])
    for name, cents in (
        (_("Net"), sum(line.net_cents for line in priced)),
        (_("Tax"), sum(line.tax_cents for line in priced)),
        (_("Total"), sum(line.total_cents for line in priced)),
    ):
        pdf.cell(label_width, 6, name, align="R")
        pdf.cell(widths[-1], 6, money(cents), align="R", **NEXT_LINE)
    notes = sorted({line.tax_note for line in priced if line.tax_note})
    pdf.ln(4)
    if notes:
        pdf.multi_cell(0, 5, "\n".join(notes), **NEXT_LINE)
        pdf.ln(2)
    pdf.set_font(FONT, "B", 10)
    pdf.cell(0, 6, _("Cancellation terms"), **NEXT_LINE)
    pdf.set_font(FONT, "", 9)
    pdf.multi_cell(0, 5, proposal.terms, **NEXT_LINE)
    pdf.ln(2)
    zone = ZoneInfo(settings.PRACTICE_TIME_ZONE)
    issued = (proposal.sent_at or proposal.created_at).astimezone(zone).date()
    pdf.multi_cell(
        0,
        5,
        _("Issued on %(date)s. Accept it, choose a date and add a PO number here: %(url)s")
        % {
            "date": date_format(issued, "DATE_FORMAT"),
            "url": f"{settings.SITE_URL}/proposals/{proposal.token}/",
        },
        **NEXT_LINE,
    )
    return pdf
