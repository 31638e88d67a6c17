"""Query-string filters of the catalog endpoints; an invalid value is a 400 with field errors."""

from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters

from workshops.models import Offering, Session, Topic


class OfferingFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=Offering.Kind.choices)
    format = filters.ChoiceFilter(choices=Offering.Format.choices)
    topic = filters.ModelChoiceFilter(
        queryset=Topic.objects.all(), to_field_name="slug", field_name="topics"
    )
    search = filters.CharFilter(method="filter_search", max_length=200)
    # A choice, not a BooleanFilter: that one reads "perhaps" as "no filter" instead of an error.
    upcoming = filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")], method="filter_upcoming"
    )

    class Meta:
        model = Offering
        fields = ["kind", "format", "topic", "search", "upcoming"]

    def filter_search(
        self, queryset: QuerySet[Offering], name: str, value: str
    ) -> QuerySet[Offering]:
        words = value.split()
        for word in words:
            queryset = queryset.filter(
                Q(title__icontains=word)
                | Q(summary__icontains=word)
                | Q(description__icontains=word)
                | Q(audience__icontains=word)
                | Q(topics__name__icontains=word)
            )
        return queryset.distinct() if words else queryset

    def filter_upcoming(
        self, queryset: QuerySet[Offering], name: str, value: str
    ) -> QuerySet[Offering]:
        # `next_session_starts_at` is annotated by the selector for upcoming public sessions.
        return queryset.filter(next_session_starts_at__isnull=value != "true")  # type: ignore[misc]


class SessionFilter(filters.FilterSet):
    offering = filters.ModelChoiceFilter(
        queryset=Offering.objects.filter(is_published=True), to_field_name="slug"
    )
    starts_after = filters.DateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = filters.DateTimeFilter(field_name="starts_at", lookup_expr="lte")

    class Meta:
        model = Session
        fields = ["offering", "starts_after", "starts_before"]
