"""Lightning deals: scheduling them (LightningDealChanged) and following the units orders
claims and releases (DealUnitsClaimed / DealUnitsReleased).

Orders owns the claimed counter (it must move in the checkout's own transaction for
"never more sold than offered" to hold); promotions keeps the latest total it was told,
newest event first, for the back office and the deals list."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from flowmart.contracts.promotions import DealUnitsClaimed, DealUnitsReleased, LightningDealChanged
from flowmart.events import publish

from ..models import LightningDeal
from ..models.sales import Schedule


def deal_event(deal: LightningDeal) -> LightningDealChanged:
    return LightningDealChanged(
        deal_id=deal.pk,
        sku=deal.sku_id,
        product_id=deal.sku.product_id,
        price=deal.price,
        units=deal.units,
        starts_at=deal.starts_at,
        ends_at=deal.ends_at,
        active=deal.enabled,
    )


@transaction.atomic
def deal_changed(deal: LightningDeal) -> None:
    """After an admin save (or a withdrawal): tell catalog and orders the deal, whole."""
    publish(deal_event(LightningDeal.objects.select_related("sku").get(pk=deal.pk)))


@transaction.atomic
def units_counted(ev: DealUnitsClaimed | DealUnitsReleased) -> None:
    """Keep the running total orders told, unless a newer total is already stored."""
    LightningDeal.objects.filter(pk=ev.deal_id).filter(
        Q(claimed_as_of__isnull=True) | Q(claimed_as_of__lte=ev.occurred_at)
    ).update(claimed=ev.claimed, claimed_as_of=ev.occurred_at)


def advance_schedule() -> int:
    """Beat: move deals scheduled → live → ended as their windows pass (the back office's
    view; checkout and the catalogue read the window itself). Conditional UPDATEs, so two
    beat runs at once change each deal once."""
    moment = timezone.now()
    started = LightningDeal.objects.filter(status=Schedule.SCHEDULED, starts_at__lte=moment, ends_at__gt=moment).update(
        status=Schedule.LIVE
    )
    ended = (
        LightningDeal.objects.filter(ends_at__lte=moment).exclude(status=Schedule.ENDED).update(status=Schedule.ENDED)
    )
    return started + ended
