from django.urls import path

from organizations import views

urlpatterns = [
    path("proposals/<str:token>.pdf", views.proposal_pdf_download, name="proposal-pdf"),
    path("proposals/<str:token>/", views.proposal_page, name="proposal"),
    path("proposals/<str:token>/accept/", views.proposal_accept_page, name="proposal-accept-page"),
    path(
        "proposals/<str:token>/decline/", views.proposal_decline_page, name="proposal-decline-page"
    ),
]
