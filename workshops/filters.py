"""Query-string filters of the catalog endpoints; an invalid value is a 400 with field errors."""

from datetime import UTC, datetime
from typing import Any

from django import forms
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


class CalendarDateTimeField(forms.DateTimeField):
    """A date and time a calendar can hold, in UTC. `0060-06-14T20:46:59-02:03` is not one:
    its UTC moment falls before year 1, which would crash the query instead of a 400."""

    def to_python(self, value: Any) -> datetime | None:
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            moment = moment.astimezone(UTC)
        except (OverflowError, ValueError):
            moment = None
        if moment is None or not 1900 <= moment.year <= 9999:
            raise forms.ValidationError("Please give a date between the years 1900 and 9999.")
        # In UTC: the database accepts no offset beyond ±15:59, and ISO 8601 allows ±23:59.
        return moment


class CalendarDateTimeFilter(filters.DateTimeFilter):
    field_class = CalendarDateTimeField


class SessionFilter(filters.FilterSet):
    offering = filters.ModelChoiceFilter(
        queryset=Offering.objects.filter(is_published=True), to_field_name="slug"
    )
    starts_after = CalendarDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = CalendarDateTimeFilter(field_name="starts_at", lookup_expr="lte")

    class Meta:
        model = Session
        fields = ["offering", "starts_after", "starts_before"]
