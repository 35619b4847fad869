"""flowmart.common.guards: which digit runs are card numbers, redaction, JSON checks."""

import json

import pytest

from flowmart.common import guards

CARDS = [
    "4242424242424242",  # Visa
    "4000056655665556",  # Visa debit
    "5555555555554444",  # Mastercard
    "378282246310005",  # Amex (15)
    "6011111111111117",  # Discover
    "3056930009020004",  # Diners (16)
    "6200000000000005",  # UnionPay
    "4000000000000000006",  # 19 digits
]


@pytest.mark.parametrize("card", CARDS)
def test_known_test_cards_pass_luhn_and_are_found_in_any_disguise(card):
    assert guards.luhn_valid(card)
    grouped = " ".join(card[i : i + 4] for i in range(0, len(card), 4))
    for text in [card, f"pm_{card}", f"card{card}x", grouped, grouped.replace(" ", "-"), f"{grouped} 1", f"x: {card}."]:
        assert guards.contains_card_number(text), text


@pytest.mark.parametrize(
    "text",
    [
        "4242424242424241",  # fails Luhn
        "424242424242",  # 12 digits
        "94001118992238171928371",  # a 23-digit tracking number holds 13-19 digit windows that pass Luhn
        "PO12345678901234567890US",
        "2026-01-15T10:00:00Z",
        "+49 30 1234 5678",
        "pm_card_visa",
        "12.50",
        "4242  4242  4242  4242",  # double spaces are not one number
        "",
    ],
)
def test_other_digits_are_not_cards(text):
    assert not guards.contains_card_number(text)


def test_a_long_run_is_not_searched_for_windows():
    run = "94001118992238171928371"
    windows = [run[i : i + n] for n in range(13, 20) for i in range(len(run) - n + 1)]
    assert any(guards.luhn_valid(w) for w in windows)  # so a window search would refuse it
    assert not guards.contains_card_number(run)


def test_redact_removes_only_the_card():
    assert guards.redact("GET /api/v1/orders/?q=4242 4242 4242 4242&page=2") == (
        f"GET /api/v1/orders/?q={guards.REDACTED}&page=2"
    )
    assert guards.redact("order 12345 ok") == "order 12345 ok"
    assert guards.redact_url("/api/v1/products/?search=4242%204242%204242%204242") == (
        f"/api/v1/products/?search={guards.REDACTED}"
    )
    assert guards.redact_url("/api/v1/products/?search=mug%20red") == "/api/v1/products/?search=mug%20red"


def test_check_json_names_the_field_and_not_the_value():
    body = {"payment": {"provider": "dummy", "payment_method": "pm_4242424242424242"}}
    with pytest.raises(guards.Refused) as refused:
        guards.check_json(body, 32)
    assert refused.value.where == "payment.payment_method"
    assert "4242" not in str(refused.value)
    with pytest.raises(guards.Refused):
        guards.check_json({"cart_id": 4242424242424242}, 32)  # numbers too
    with pytest.raises(guards.Refused):
        guards.check_json({"lines": [{"sku": "x", "note": "5555-5555-5555-4444"}]}, 32)
    guards.check_json({"payment_method": "pm_4242424242424242"}, 32, cards=False)  # signed webhooks
    with pytest.raises(guards.Refused) as refused:
        guards.check_json({"address": {"4242424242424242": "x"}}, 32)
    assert refused.value.where == "address"  # a refused key is not repeated in the field's name


def test_load_json_limits_depth_without_recursion_errors():
    assert guards.load_json(b"[" * 32 + b"]" * 32, 32)
    for depth in (33, 500, 100_000):
        with pytest.raises(guards.Refused, match="nested"):
            guards.load_json("[" * depth + "]" * depth, 32)
    with pytest.raises(ValueError):
        guards.load_json('{"a": NaN}', 32)
    with pytest.raises(json.JSONDecodeError):
        guards.load_json("{", 32)


def test_generated_ids_in_a_path_are_not_cards():
    """A return's uuid hex once held the Luhn-valid run 88536971428782 and the request got a 400."""
    path = "/api/v1/orders/7/returns/5a8c88536971428782db4a0c9e1f2b3d/label/"
    assert guards.contains_card_number(path)  # the run alone does pass Luhn
    assert not guards.contains_card_number(guards.without_ids(path))
    dashed = "/api/v1/x/5a8c8853-6971-4287-82db-4a0c9e1f2b3d/"
    assert guards.without_ids(dashed) == "/api/v1/x/id/"
    assert guards.contains_card_number(guards.without_ids("/api/v1/products/?q=4242424242424242"))
