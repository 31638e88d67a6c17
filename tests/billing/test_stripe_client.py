from billing.stripe_client import stripe_client


def test_payments_share_one_client_until_the_settings_change(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_one"
    settings.STRIPE_API_BASE = "http://127.0.0.1:8420"
    first = stripe_client()

    assert stripe_client() is first  # its HTTP session keeps the connection to Stripe open

    settings.STRIPE_SECRET_KEY = "sk_test_two"
    second = stripe_client()
    settings.STRIPE_API_BASE = "http://127.0.0.1:8421"
    third = stripe_client()
    assert len({id(first), id(second), id(third)}) == 3
