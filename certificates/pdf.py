"""A certificate as a PDF: one landscape A4 page drawn from its snapshot, in the language it
was issued in, with a QR code to its verification page and the Unicode font embedded."""

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from fpdf import FPDF

from billing.pdf import FONT, FONTS
from certificates.models import Certificate
from certificates.services import verification_url

QR_MASK = 2


def certificate_pdf(certificate: Certificate) -> bytes:
    with translation.override(certificate.language):
        return bytes(_draw(certificate).output())


def _qr_image(url: str) -> Any:
    import qrcode

    # One mask pattern, chosen: any of the eight reads back the same, and trying each to
    # score them would take most of the time a certificate's PDF takes.
    code = qrcode.QRCode(
        border=1, error_correction=qrcode.constants.ERROR_CORRECT_M, mask_pattern=QR_MASK
    )
    code.add_data(url)
    return code.make_image().get_image()


def _draw(certificate: Certificate) -> FPDF:
    is_ce = certificate.kind == Certificate.Kind.CONTINUING_EDUCATION
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(24, 22, 24)
    title = _("Certificate of continuing education") if is_ce else _("Certificate of attendance")
    pdf.set_title(f"{title}: {certificate.offering_title}")
    pdf.set_author(settings.PRACTICE_NAME)
    pdf.add_page()
    pdf.set_draw_color(70, 100, 120)
    pdf.set_line_width(0.8)
    pdf.rect(12, 12, pdf.w - 24, pdf.h - 24)

    width = pdf.w - pdf.l_margin - pdf.r_margin

    def line(height: float, text: str, size: float, style: str = "") -> None:
        pdf.set_font(FONT, style, size)
        pdf.multi_cell(width, height, text, align="C", new_x="LMARGIN", new_y="NEXT")

    pdf.set_y(28)
    line(7, settings.PRACTICE_NAME, 12)
    pdf.ln(4)
    line(12, title, 24, "B")
    pdf.ln(6)
    line(7, _("This certifies that"), 12)
    pdf.ln(2)
    line(12, certificate.participant_name, 22, "B")
    if certificate.registration_number:
        line(
            6,
            _("Professional registration number: %(number)s")
            % {"number": certificate.registration_number},
            10,
        )
    pdf.ln(3)
    line(7, _("attended the whole of"), 12)
    line(9, certificate.offering_title, 16, "B")
    line(7, certificate.dates, 11)
    if certificate.facilitators:
        line(7, _("led by %(names)s") % {"names": certificate.facilitators}, 11)
    if is_ce and certificate.hours is not None:
        pdf.ln(3)
        hours = f"{certificate.hours:f}".rstrip("0").rstrip(".")
        line(8, _("%(hours)s continuing-education hours") % {"hours": hours}, 13, "B")
        if certificate.accreditor:
            line(6, _("Accredited by %(body)s") % {"body": certificate.accreditor}, 10)
        if certificate.statement:
            line(5, certificate.statement, 9)

    url = verification_url(certificate)
    bottom = pdf.h - 52
    pdf.image(_qr_image(url), x=pdf.w - 24 - 30, y=bottom, w=30, h=30)
    pdf.set_xy(pdf.l_margin, bottom + 4)
    pdf.set_font(FONT, "", 10)
    issued = date_format(certificate.issued_at, "DATE_FORMAT")
    pdf.cell(0, 6, _("Issued on %(date)s") % {"date": issued}, new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0,
        6,
        _("Verification code: %(code)s") % {"code": certificate.shown_code},
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font(FONT, "", 8)
    pdf.cell(0, 5, _("Check it at %(url)s") % {"url": url}, new_x="LMARGIN", new_y="NEXT")
    return pdf
