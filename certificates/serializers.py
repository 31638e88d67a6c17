from typing import Any

from rest_framework import serializers

from certificates.models import Certificate


class CertificateOutput(serializers.Serializer[Certificate]):
    """What a verification tells: whether it stands, for whom, for what (DESIGN.md)."""

    code = serializers.CharField(source="shown_code")
    status = serializers.ChoiceField(choices=Certificate.Status.choices)
    participant = serializers.CharField(source="participant_name")
    offering = serializers.CharField(source="offering_title")
    dates = serializers.CharField()
    hours = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    accreditor = serializers.CharField()
    issued_at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=Certificate.Kind.choices)
    replaced_by = serializers.SerializerMethodField()

    def get_replaced_by(self, certificate: Certificate) -> str | None:
        replacement: Any = certificate.replaced_by
        return replacement.shown_code if replacement else None
