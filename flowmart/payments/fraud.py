"""Rule-based fraud screening, run before any charge.

Each rule that fires adds its weight to a score (capped at 100) and a reason;
settings.PAYMENTS_FRAUD sets the thresholds: score ≥ BLOCK_SCORE blocks (no charge),
≥ REVIEW_SCORE holds the payment for a human, anything lower is allowed. The inputs
and reasons are stored with the assessment so a reviewer sees why.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .gateways import PaymentMethodInfo
from .models import FraudAssessment, Payment

DEFAULTS = {
    "REVIEW_SCORE": 50,
    "BLOCK_SCORE": 90,
    "WINDOW_MINUTES": 60,
    "MAX_ORDERS_PER_CUSTOMER": 10,
    "MAX_FAILED_PER_CUSTOMER": 3,
    "MAX_ORDERS_PER_CARD": 20,
    "MAX_ORDERS_PER_IP": 20,
    "NEW_ACCOUNT_DAYS": 7,
    "NEW_ACCOUNT_MAX_AMOUNT": "1000.00",
    "MAX_ITEM_COUNT": 25,
    "WEIGHTS": {
        "velocity_customer": 30,
        "failed_payments": 50,
        "velocity_card": 25,
        "velocity_ip": 25,
        "new_account_high_value": 40,
        "country_mismatch": 30,
        "unusual_quantity": 30,
        "provider_signal": 100,
    },
}


def config() -> dict:
    cfg = {**DEFAULTS, **getattr(settings, "PAYMENTS_FRAUD", {})}
    cfg["WEIGHTS"] = {**DEFAULTS["WEIGHTS"], **cfg.get("WEIGHTS", {})}
    return cfg


@dataclass(frozen=True)
class Verdict:
    score: int
    reasons: list[str]
    outcome: str
    inputs: dict


def velocity_counts(payment: Payment, fingerprint: str, cfg: dict) -> dict[str, int]:
    """The four velocity counts over the window in one statement, COUNT(CASE …) per rule
    (PostgreSQL and SQLite alike): only rows matching one of the rules are read, and a rule
    without its key (no card fingerprint, no client IP) counts nothing. Plain SQL because
    the ORM spent more CPU building this statement than the database spends running it."""
    ops = connection.ops
    since = timezone.now() - timedelta(minutes=cfg["WINDOW_MINUTES"])
    # A guest has no account: their email stands for the customer in the velocity rules.
    if payment.customer_id is not None:
        customer, params = "customer_id = %s", [payment.customer_id]
    else:
        customer, params = "customer_id IS NULL AND UPPER(customer_email) = UPPER(%s)", [payment.customer_email]
    rules = {
        "customer_orders_in_window": (customer, params),
        "customer_failed_in_window": (f"{customer} AND status = %s", [*params, Payment.Status.FAILED.value]),
    }
    if fingerprint:
        rules["card_orders_in_window"] = ("card_fingerprint = %s", [fingerprint])
    if payment.client_ip:
        rules["ip_orders_in_window"] = ("client_ip = %s", [ops.adapt_ipaddressfield_value(payment.client_ip)])
    counts = ", ".join(f"COUNT(CASE WHEN {condition} THEN 1 END)" for condition, _ in rules.values())
    any_rule = " OR ".join(f"({condition})" for condition, _ in rules.values())
    rule_params = [p for _, ps in rules.values() for p in ps]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {counts} FROM {ops.quote_name(Payment._meta.db_table)} "
            f"WHERE created_at >= %s AND id <> %s AND ({any_rule})",
            [*rule_params, ops.adapt_datetimefield_value(since), payment.pk, *rule_params],
        )
        row = cursor.fetchone()
    return {"card_orders_in_window": 0, "ip_orders_in_window": 0} | dict(zip(rules, row, strict=True))


def gather_inputs(payment: Payment, method: PaymentMethodInfo, cfg: dict) -> dict:
    age_days = (timezone.now() - payment.customer_since).days if payment.customer_since else None
    counts = velocity_counts(payment, method.fingerprint, cfg)
    return {
        "customer_id": payment.customer_id,
        "amount": str(payment.amount),
        "currency": payment.currency,
        "account_age_days": age_days,
        "item_count": payment.item_count,
        "shipping_country": payment.shipping_country,
        "card_country": method.country,
        "card_fingerprint": method.fingerprint,
        "client_ip": payment.client_ip,
        "provider_risk_signal": method.risk_signal,
        "customer_orders_in_window": counts["customer_orders_in_window"],
        "customer_failed_in_window": counts["customer_failed_in_window"],
        "card_orders_in_window": counts["card_orders_in_window"],
        "ip_orders_in_window": counts["ip_orders_in_window"],
    }


def evaluate(inputs: dict, cfg: dict) -> Verdict:
    """Pure: the rules over the gathered inputs."""
    fired = {
        "velocity_customer": inputs["customer_orders_in_window"] >= cfg["MAX_ORDERS_PER_CUSTOMER"],
        "failed_payments": inputs["customer_failed_in_window"] >= cfg["MAX_FAILED_PER_CUSTOMER"],
        "velocity_card": inputs["card_orders_in_window"] >= cfg["MAX_ORDERS_PER_CARD"],
        "velocity_ip": inputs["ip_orders_in_window"] >= cfg["MAX_ORDERS_PER_IP"],
        "new_account_high_value": inputs["account_age_days"] is not None
        and inputs["account_age_days"] < cfg["NEW_ACCOUNT_DAYS"]
        and Decimal(inputs["amount"]) > Decimal(str(cfg["NEW_ACCOUNT_MAX_AMOUNT"])),
        "country_mismatch": bool(inputs["card_country"] and inputs["shipping_country"])
        and inputs["card_country"].upper() != inputs["shipping_country"].upper(),
        "unusual_quantity": inputs["item_count"] > cfg["MAX_ITEM_COUNT"],
        "provider_signal": bool(inputs["provider_risk_signal"]),
    }
    reasons = [rule for rule, hit in fired.items() if hit]
    score = min(100, sum(cfg["WEIGHTS"][rule] for rule in reasons))
    if score >= cfg["BLOCK_SCORE"]:
        outcome = FraudAssessment.Outcome.BLOCK
    elif score >= cfg["REVIEW_SCORE"]:
        outcome = FraudAssessment.Outcome.REVIEW
    else:
        outcome = FraudAssessment.Outcome.ALLOW
    return Verdict(score=score, reasons=reasons, outcome=outcome, inputs=inputs)


def assess(payment: Payment, method: PaymentMethodInfo) -> FraudAssessment:
    cfg = config()
    verdict = evaluate(gather_inputs(payment, method, cfg), cfg)
    return FraudAssessment.objects.create(
        payment=payment,
        inputs=verdict.inputs,
        score=verdict.score,
        reasons=verdict.reasons,
        outcome=verdict.outcome,
    )
