import pytest

from .fake_stripe import FakeStripe

WEBHOOK_SECRET = "whsec_test_flowmart"


@pytest.fixture
def fake_stripe():
    fake = FakeStripe().start()
    yield fake
    fake.stop()


@pytest.fixture
def stripe_on(settings, fake_stripe):
    """The stripe provider configured against the local fake (short timeout, SDK retries on)."""
    settings.STRIPE_SECRET_KEY = "sk_test_fake_flowmart"
    settings.STRIPE_API_BASE = fake_stripe.url
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_TIMEOUT_SECONDS = 1
    settings.STRIPE_MAX_NETWORK_RETRIES = 2
    return fake_stripe


@pytest.fixture
def webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return WEBHOOK_SECRET
