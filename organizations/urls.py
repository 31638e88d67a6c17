from django.urls import path

from organizations import apis

urlpatterns = [
    path("proposals/<str:token>/", apis.ProposalDetailApi.as_view(), name="proposal-detail"),
    path("proposals/<str:token>/accept/", apis.ProposalAcceptApi.as_view(), name="proposal-accept"),
    path(
        "proposals/<str:token>/decline/", apis.ProposalDeclineApi.as_view(), name="proposal-decline"
    ),
]
