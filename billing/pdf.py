"""The PDF of an invoice or credit note, drawn from its snapshot (so it reads the same every
time it is rendered), with a Unicode font embedded so that every name prints."""

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from billing.models import Invoice
from billing.services.invoices import rate_totals
from config.money import format_amount

FONTS = Path(__file__).parent / "fonts"
FONT = "DejaVu"
# After a cell: on to the start of the next line.
NEXT_LINE: Any = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}


def _rate(rate: object) -> str:
    text = f"{rate:f}".rstrip("0").rstrip(".")
    return f"{text}%"


class Document(FPDF):
    """An A4 page with the Unicode font embedded and a footer line; invoices and proposals."""

    def __init__(self, footer: str) -> None:
        super().__init__(format="A4")
        self.footer_text = footer
        self.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(auto=True, margin=20)
        self.set_margins(18, 18, 18)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, "", 8)
        self.cell(0, 5, self.footer_text, align="C")


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as a PDF, in the language it was issued in."""
    with translation.override(invoice.language):
        return bytes(_draw(invoice).output())


def _draw(invoice: Invoice) -> FPDF:
    zone = ZoneInfo(settings.PRACTICE_TIME_ZONE)
    money = lambda cents: f"{format_amount(cents, invoice.currency)} {invoice.currency}"  # noqa: E731
    is_credit = invoice.kind == Invoice.Kind.CREDIT_NOTE
    seller_vat = _("VAT ID %(id)s") % {"id": invoice.seller_vat_id} if invoice.seller_vat_id else ""
    pdf = Document(" · ".join(filter(None, [invoice.seller_name, seller_vat])))
    pdf.set_title(f"{invoice.seller_name} {invoice.number}")
    pdf.set_author(invoice.seller_name)
    pdf.add_page()

    pdf.set_font(FONT, "B", 18)
    pdf.cell(0, 10, _("Credit note") if is_credit else _("Invoice"), **NEXT_LINE)
    pdf.set_font(FONT, "", 10)
    seller = [invoice.seller_name, *invoice.seller_address.splitlines(), seller_vat]
    pdf.multi_cell(0, 5, "\n".join(filter(None, seller)), **NEXT_LINE)
    pdf.ln(4)

    pdf.set_font(FONT, "B", 10)
    pdf.cell(0, 5, _("Billed to"), **NEXT_LINE)
    pdf.set_font(FONT, "", 10)
    place = " ".join(filter(None, [invoice.buyer_postal_code, invoice.buyer_city]))
    buyer = [
        invoice.buyer_company,
        invoice.buyer_name,
        invoice.buyer_address,
        place,
        invoice.buyer_country,
        _("VAT ID %(id)s") % {"id": invoice.buyer_vat_id} if invoice.buyer_vat_id else "",
    ]
    pdf.multi_cell(0, 5, "\n".join(filter(None, buyer)), **NEXT_LINE)
    pdf.ln(4)

    facts = [
        (_("Number"), invoice.number),
        (_("Date"), date_format(invoice.issued_at.astimezone(zone).date(), "DATE_FORMAT")),
    ]
    if is_credit and invoice.refers_to is not None:
        facts.append((_("Credits invoice"), invoice.refers_to.number))
    elif not is_credit:
        facts.append((_("Due"), date_format(invoice.due_at.astimezone(zone).date(), "DATE_FORMAT")))
    if invoice.po_number:
        facts.append((_("PO number"), invoice.po_number))
    if invoice.payable_reference:
        facts.append((_("Booking"), invoice.payable_reference))
    for label, value in facts:
        pdf.set_font(FONT, "B", 10)
        pdf.cell(40, 6, label)
        pdf.set_font(FONT, "", 10)
        pdf.cell(0, 6, value, **NEXT_LINE)
    if invoice.reason:
        pdf.multi_cell(0, 6, invoice.reason, **NEXT_LINE)
    pdf.ln(4)

    widths = (78, 16, 26, 16, 38)
    pdf.set_font(FONT, "B", 9)
    for width, title, align in zip(
        widths,
        (_("Description"), _("Qty"), _("Unit price"), _("Tax"), _("Amount")),
        ("L", "R", "R", "R", "R"),
        strict=True,
    ):
        pdf.cell(width, 7, title, border="B", align=align)
    pdf.ln()
    pdf.set_font(FONT, "", 9)
    for item in invoice.lines.all():
        top = pdf.get_y()
        pdf.multi_cell(widths[0], 6, item.description, new_x=XPos.RIGHT, new_y=YPos.TOP)
        bottom = pdf.get_y() + 6
        pdf.set_xy(pdf.l_margin + widths[0], top)
        unit = format_amount(item.unit_price_cents, invoice.currency)
        for width, value in zip(
            widths[1:],
            (str(item.quantity), unit, _rate(item.tax_rate), money(item.net_cents)),
            strict=True,
        ):
            pdf.cell(width, 6, value, align="R")
        pdf.set_y(max(bottom, pdf.get_y() + 6))
    pdf.ln(2)

    label_width = sum(widths[:-1])
    for total in rate_totals(invoice):
        pdf.cell(label_width, 6, _("Net at %(rate)s") % {"rate": _rate(total.rate)}, align="R")
        pdf.cell(widths[-1], 6, money(total.net_cents), align="R", **NEXT_LINE)
        pdf.cell(label_width, 6, _("Tax at %(rate)s") % {"rate": _rate(total.rate)}, align="R")
        pdf.cell(widths[-1], 6, money(total.tax_cents), align="R", **NEXT_LINE)
    pdf.set_font(FONT, "B", 10)
    pdf.cell(label_width, 7, _("Total"), align="R")
    pdf.cell(widths[-1], 7, money(invoice.total_cents), align="R", **NEXT_LINE)
    pdf.set_font(FONT, "", 9)
    if not is_credit:
        if invoice.paid_cents:
            pdf.cell(label_width, 6, _("Paid"), align="R")
            pdf.cell(widths[-1], 6, money(invoice.paid_cents), align="R", **NEXT_LINE)
        pdf.cell(label_width, 6, _("Left to pay"), align="R")
        pdf.cell(widths[-1], 6, money(max(invoice.open_cents, 0)), align="R", **NEXT_LINE)
    pdf.ln(4)

    if invoice.notes:
        pdf.multi_cell(0, 5, invoice.notes, **NEXT_LINE)
        pdf.ln(2)
    if not is_credit and invoice.open_cents > 0:
        pay = _("Please pay by %(due)s, quoting %(number)s.") % {
            "due": date_format(invoice.due_at.astimezone(zone).date(), "DATE_FORMAT"),
            "number": invoice.number,
        }
        if settings.PRACTICE_IBAN:
            pay += " " + _("Bank account: %(iban)s.") % {"iban": settings.PRACTICE_IBAN}
        pay += " " + _("Or pay by card: %(url)s") % {
            "url": f"{settings.SITE_URL}/invoices/{invoice.token}/"
        }
        pdf.multi_cell(0, 5, pay, **NEXT_LINE)
    return pdf
