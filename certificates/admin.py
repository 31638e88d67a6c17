from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from certificates import services
from certificates.models import Certificate
from config.admin_site import PersonalDataAdmin, action_form
from config.errors import DomainError
from config.pages import pdf_response


class RevokeForm(forms.Form):
    reason = forms.CharField(max_length=300, help_text="For the record; never shown publicly.")


class ReissueForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="As it should be printed.")
    registration_number = forms.CharField(
        max_length=60, required=False, label="Professional registration number"
    )


@admin.register(Certificate)
class CertificateAdmin(PersonalDataAdmin):
    """Issued by the hourly job; revoked or reissued (a name corrected) here, never edited."""

    list_display = [
        "shown_code",
        "participant_name",
        "offering_title",
        "kind",
        "status",
        "issued_at",
    ]
    list_filter = ["status", "kind", "issued_at"]
    search_fields = ["code", "participant_name", "email", "offering_title"]
    date_hierarchy = "issued_at"
    actions = ["revoke", "reissue", "export_people"]
    fields = readonly_fields = (
        "shown_code",
        "status",
        "kind",
        "participant_name",
        "email",
        "registration_number",
        "offering_title",
        "dates",
        "hours",
        "facilitators",
        "accreditor",
        "statement",
        "issued_at",
        "revoked_at",
        "revoked_reason",
        "replaced_by",
        "links",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issued to those who attended, by certificates.issue_due

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # kept records (DESIGN.md): revoke instead

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("certificates.revoke_certificate")

    @admin.display(description="code", ordering="code")
    def shown_code(self, certificate: Certificate) -> str:
        return certificate.shown_code

    @admin.display(description="links")
    def links(self, certificate: Certificate) -> str:
        return format_html(
            '<a href="{}">PDF</a> · <a href="{}">verification page</a>',
            reverse("admin:certificates_certificate_pdf", args=[certificate.pk]),
            services.verification_url(certificate),
        )

    def get_urls(self) -> list[Any]:
        pdf = self.admin_site.admin_view(self.pdf_view)
        return [
            path("<int:certificate_id>/pdf/", pdf, name="certificates_certificate_pdf"),
            *super().get_urls(),
        ]

    def pdf_view(self, request: HttpRequest, certificate_id: int) -> HttpResponse:
        certificate = Certificate.objects.filter(pk=certificate_id).first()
        if certificate is None or not self.has_view_permission(request, certificate):
            raise Http404("No such certificate.")
        from certificates.pdf import certificate_pdf

        return pdf_response(certificate_pdf(certificate), filename=f"{certificate.code}.pdf")

    def _one(self, request: HttpRequest, queryset: QuerySet[Certificate]) -> Certificate | None:
        if queryset.count() != 1:
            self.message_user(request, "Choose one certificate at a time.", messages.WARNING)
            return None
        return queryset.get()

    def _ask(
        self, request: HttpRequest, certificate: Certificate, action: str, form: forms.Form
    ) -> TemplateResponse:
        what = (
            f"{certificate.participant_name} — {certificate.offering_title}, {certificate.dates}."
        )
        then = (
            "A new certificate with a new code is issued and emailed to them; this one is "
            "revoked and points to it."
            if action == "reissue"
            else "Its verification page will say it was revoked."
        )
        return action_form(
            self,
            request,
            obj=certificate,
            action=action,
            form=form,
            intro=f"{what} {then}",
            title=f"{action.capitalize()} certificate {certificate.shown_code}",
            button=action.capitalize(),
        )

    @admin.action(description="Revoke (it no longer stands)", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Certificate]) -> HttpResponse | None:
        certificate = self._one(request, queryset)
        if certificate is None:
            return None
        form = RevokeForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                services.certificate_revoke(
                    certificate_id=certificate.pk, reason=form.cleaned_data["reason"]
                )
            except DomainError as error:
                form.add_error(None, str(error.message))
            else:
                self.log_change(request, certificate, "Revoked.")
                self.message_user(request, f"{certificate} is revoked.", messages.SUCCESS)
                return None
        return self._ask(request, certificate, "revoke", form)

    @admin.action(
        description="Reissue with corrections (name, registration number)", permissions=["revoke"]
    )
    def reissue(self, request: HttpRequest, queryset: QuerySet[Certificate]) -> HttpResponse | None:
        certificate = self._one(request, queryset)
        if certificate is None:
            return None
        form = ReissueForm(
            request.POST if "apply" in request.POST else None,
            initial={
                "name": certificate.participant_name,
                "registration_number": certificate.registration_number,
            },
        )
        if form.is_valid():
            try:
                new = services.certificate_reissue(
                    certificate_id=certificate.pk,
                    name=form.cleaned_data["name"],
                    registration_number=form.cleaned_data["registration_number"],
                )
            except DomainError as error:
                form.add_error(None, str(error.message))
            else:
                self.log_change(request, certificate, f"Reissued as {new}.")
                self.log_addition(request, new, f"Reissued from {certificate}.")
                self.message_user(
                    request, f"{new} replaces {certificate}; it is on its way.", messages.SUCCESS
                )
                return None
        return self._ask(request, certificate, "reissue", form)
