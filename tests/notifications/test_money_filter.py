"""The `money` filter of message templates: amounts as the message's language writes them
(Babel), whatever the currency's decimals."""

from django.utils import translation

from flowmart.common.money import Money
from flowmart.notifications.templatetags.notifications import money


def test_amounts_follow_the_messages_language_and_the_currencys_decimals():
    with translation.override("en"):
        assert money({"amount": "12.50", "currency": "EUR"}) == "€12.50"
        assert money({"amount": "1500", "currency": "JPY"}) == "¥1,500"
        assert money(Money("12.345", "KWD")) == "KWD12.345"
    with translation.override("de"):
        assert money({"amount": "12.50", "currency": "EUR"}) == "12,50\xa0€"
        assert money({"amount": "1234.5", "currency": "USD"}) == "1.234,50\xa0$"
    assert money(None) == "" and money({"amount": "x"}) == "{'amount': 'x'}"
