from django.urls import path

from enrollments import views

urlpatterns = [
    path("sessions/<int:session_id>/book/", views.session_book, name="session-book"),
    path("enrollments/<str:token>/", views.booking, name="booking"),
    path("enrollments/<str:token>/cancel/", views.booking_cancel, name="booking-cancel"),
    path(
        "enrollments/<str:token>/participants/",
        views.booking_participants,
        name="booking-participants",
    ),
    path("enrollments/<str:token>/pay/", views.booking_pay, name="booking-pay"),
    path("enrollments/<str:token>/business/", views.booking_business, name="booking-business"),
    path("payments/card/<str:paying>/", views.card_page, name="card-page"),
    path("payments/checkout/cancelled/", views.checkout_cancelled, name="checkout-cancelled"),
    path("payments/checkout/<str:session_id>/", views.checkout_returned, name="checkout-returned"),
]
