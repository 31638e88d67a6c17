from django.urls import path

from integrations import apis

urlpatterns = [
    path("staff/sessions/", apis.StaffSessionsApi.as_view(), name="staff-sessions"),
    path(
        "staff/sessions/<int:session_id>/roster/",
        apis.StaffRosterApi.as_view(),
        name="staff-session-roster",
    ),
    path("staff/enrollments/", apis.StaffEnrollmentsApi.as_view(), name="staff-enrollments"),
    path("staff/inquiries/", apis.StaffInquiriesApi.as_view(), name="staff-inquiries"),
]
