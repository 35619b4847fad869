"""Stripe Connect through the official SDK: Express accounts for sellers, onboarding links,
and transfers of a seller's payout to their connected account. Every POST that creates
something carries an idempotency key derived from our row, so a retried call (the SDK's
own retries or a later run's) returns the first answer instead of paying twice."""

from __future__ import annotations

from dataclasses import dataclass

from flowmart.common.money import Money

from .base import ProviderUnavailable
from .stripe_gateway import StripeGateway, to_minor


@dataclass(frozen=True)
class ConnectAccount:
    account_id: str
    charges_enabled: bool
    payouts_enabled: bool
    requirements_due: tuple[str, ...]
    disabled_reason: str


def account_state(account: dict) -> ConnectAccount:
    """A Connect Account (API answer or account.updated payload) as what KYC needs of it."""
    requirements = account.get("requirements") or {}
    due = [*(requirements.get("currently_due") or []), *(requirements.get("past_due") or [])]
    return ConnectAccount(
        account_id=account["id"],
        charges_enabled=bool(account.get("charges_enabled")),
        payouts_enabled=bool(account.get("payouts_enabled")),
        requirements_due=tuple(sorted(set(due))),
        disabled_reason=requirements.get("disabled_reason") or "",
    )


class StripeConnect:
    def __init__(self, gateway: StripeGateway):
        self.client = gateway.client
        self._call = gateway._call

    @classmethod
    def from_settings(cls) -> StripeConnect:
        from django.conf import settings

        if not settings.STRIPE_SECRET_KEY:
            raise ProviderUnavailable("Stripe Connect needs STRIPE_SECRET_KEY")
        return cls(StripeGateway.from_settings())

    def create_account(self, seller_id: int, email: str = "") -> ConnectAccount:
        params = {
            "type": "express",
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"flowmart_seller_id": str(seller_id)},
        }
        if email:
            params["email"] = email
        key = f"flowmart-connect-account-{seller_id}"
        return account_state(self._call(self.client.v1.accounts.create, params, {"idempotency_key": key}))

    def retrieve_account(self, account_id: str) -> ConnectAccount:
        return account_state(self._call(self.client.v1.accounts.retrieve, account_id))

    def onboarding_link(self, account_id: str, refresh_url: str, return_url: str) -> str:
        params = {"account": account_id, "refresh_url": refresh_url, "return_url": return_url}
        link = self._call(self.client.v1.account_links.create, {**params, "type": "account_onboarding"})
        return link["url"]

    def transfer(self, amount: Money, destination: str, idempotency_key: str, metadata: dict) -> str:
        params = {
            "amount": to_minor(amount),
            "currency": amount.currency.lower(),
            "destination": destination,
            "metadata": {k: str(v) for k, v in metadata.items()},
        }
        return self._call(self.client.v1.transfers.create, params, {"idempotency_key": idempotency_key})["id"]
