from django.urls import path

from certificates import views

urlpatterns = [
    path("certificates/<str:code>/", views.certificate_page, name="certificate"),
    path("participants/<str:token>/", views.participant_page, name="participant"),
    path(
        "participants/<str:token>/calendar.ics",
        views.participant_calendar,
        name="participant-calendar",
    ),
    path(
        "participants/<str:token>/certificates/<str:code>.pdf",
        views.participant_certificate_pdf,
        name="participant-certificate",
    ),
]
