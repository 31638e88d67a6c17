from django.urls import path

from workshops import views

urlpatterns = [
    path("", views.home, name="home"),
    path("offerings/<slug:slug>/", views.offering_page, name="offering-page"),
]
