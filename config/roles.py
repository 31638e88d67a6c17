"""The four staff roles of DESIGN.md, as groups holding permissions (`manage.py sync_roles`).

A role is kept exactly as written here: syncing again gives each group these permissions
and no others (a grant added to a group by hand is taken back; people's memberships are
left alone). A permission that does not exist (yet) is skipped.
"""

from typing import Any

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db.models import Q

PRACTICE_LEAD = "Practice lead"
COORDINATOR = "Coordinator"
BOOKKEEPER = "Bookkeeper"
FACILITATOR = "Facilitator"

EVERYTHING = "*"


def _all(app_label: str, *models: str) -> list[str]:
    """Every standard permission (add, change, delete, view) on these models."""
    return [f"{app_label}.{act}_{model}" for model in models for act in _ACTS]


_ACTS = ("add", "change", "delete", "view")

ROLES: dict[str, str | list[str]] = {
    # Everything, including staff accounts and erasure.
    PRACTICE_LEAD: EVERYTHING,
    # The practice's daily work; no refunds beyond the cancellation policy, no erasure, no
    # survey free text.
    COORDINATOR: [
        *_all("workshops", "topic", "facilitator", "offering", "session"),
        "workshops.cancel_session",
        "enrollments.view_enrollment",
        "enrollments.add_enrollment",
        "enrollments.change_enrollment",
        *_all("enrollments", "participant"),
        "enrollments.add_discountcode",
        "enrollments.change_discountcode",
        "enrollments.view_discountcode",
        "inquiries.view_inquiry",
        "inquiries.change_inquiry",
        "inquiries.view_inquiry_message",
        "inquiries.view_inquirynote",
        "inquiries.add_inquirynote",
        "inquiries.view_inquirystatuschange",
        *_all("surveys", "surveytemplate", "surveyquestion", "offeringsurvey"),
        "surveys.view_surveyinvitation",
        "surveys.view_survey_results",
        "surveys.view_organizationreport",
        "certificates.view_certificate",
        "certificates.revoke_certificate",
        "outbox.view_outgoingmail",
        "outbox.change_outgoingmail",
        "outbox.view_practicealert",
        "billing.view_payment",
        "billing.view_refund",
        "billing.view_invoice",
        *_all("organizations", "organization", "contact", "proposal", "proposaldateoption"),
        "integrations.view_calendarfeed",
        "integrations.add_calendarfeed",
        "integrations.delete_calendarfeed",
    ],
    # Money: payments, refunds and what Stripe said; never what people wrote.
    BOOKKEEPER: [
        "billing.view_payment",
        "billing.view_refund",
        "billing.view_stripeevent",
        "billing.view_invoice",
        "billing.issue_invoice",
        "billing.mark_invoice_paid",
        "organizations.view_organization",
        "organizations.view_proposal",
        "enrollments.view_enrollment",
        "enrollments.refund_enrollment",
        "enrollments.view_discountcode",
        "outbox.view_practicealert",
        "workshops.view_offering",
        "workshops.view_session",
    ],
    # Their own sessions (the admin narrows them): who comes, attendance, results in aggregate.
    FACILITATOR: [
        "workshops.view_offering",
        "workshops.view_session",
        "enrollments.view_participant",
        "enrollments.change_participant",
        "surveys.view_survey_results",
        "integrations.view_calendarfeed",  # their own feed's address
    ],
}


def sync_roles(apps: Any = global_apps, using: str = "default") -> dict[str, int]:
    """Create or update the role groups; returns how many permissions each now holds.

    Every app's permissions are made first (as `migrate` makes them once it is done), so
    that a role holds those of apps migrated after its own.
    """
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True  # a migration's apps have none
        try:
            create_permissions(app_config, apps=apps, using=using, verbosity=0)
        finally:
            app_config.models_module = models_module
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    held = {}
    for name, grants in ROLES.items():
        group, _ = group_model.objects.using(using).get_or_create(name=name)
        permissions = permission_model.objects.using(using)
        if grants != EVERYTHING:
            wanted = Q(pk__in=[])
            for grant in grants:
                app_label, codename = grant.split(".", 1)
                wanted |= Q(content_type__app_label=app_label, codename=codename)
            permissions = permissions.filter(wanted)
        group.permissions.set(permissions)
        held[name] = group.permissions.count()
    return held
