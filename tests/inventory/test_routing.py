"""Routing: one nearest warehouse when one can ship everything, otherwise the fewest."""

import pytest

from flowmart.inventory import services
from flowmart.inventory.models import Reservation
from flowmart.inventory.routing import Site, plan


def sites(**available_by_code):
    distances = {"A": 100.0, "B": 200.0, "C": 300.0}
    return {code: Site(code, "US", distances[code], dict(avail)) for code, avail in available_by_code.items()}


def picks(result):
    return sorted((p.sku, p.quantity, p.warehouse_code) for p in result.picks)


def test_single_warehouse_that_ships_everything_wins_over_a_nearer_partial_one():
    result = plan({"X": 2, "Y": 1}, sites(A={"X": 2}, B={"X": 5, "Y": 5}, C={"X": 5, "Y": 5}))
    assert picks(result) == [("X", 2, "B"), ("Y", 1, "B")]


def test_ties_between_equally_near_warehouses_go_by_code():
    candidates = {code: Site(code, "US", 50.0, {"X": 3}) for code in ("ZED", "ALPHA", "MID")}
    assert picks(plan({"X": 1}, candidates)) == [("X", 1, "ALPHA")]


def test_split_uses_the_warehouse_covering_most_first():
    result = plan({"X": 1, "Y": 1, "Z": 1}, sites(A={"X": 1}, B={"Y": 1, "Z": 1}, C={"X": 1, "Y": 1}))
    assert picks(result) == [("X", 1, "A"), ("Y", 1, "B"), ("Z", 1, "B")]
    assert len({p.warehouse_code for p in result.picks}) == 2


def test_a_line_is_split_only_when_no_warehouse_holds_all_of_it():
    result = plan({"X": 5}, sites(A={"X": 3}, B={"X": 4}))
    assert picks(result) == [("X", 1, "A"), ("X", 4, "B")]


def test_short_skus_are_reported_and_nothing_is_picked():
    result = plan({"X": 5, "Y": 1}, sites(A={"X": 3, "Y": 1}, B={"X": 1}))
    assert not result.ok and result.short == ("X",) and result.picks == ()


def test_preferred_warehouses_win_among_equals():
    result = plan({"X": 1}, sites(A={"X": 1}, B={"X": 1}), preferred=frozenset({"B"}))
    assert picks(result) == [("X", 1, "B")]


@pytest.mark.django_db
@pytest.mark.parametrize(("country", "expected"), [("DE", "DE-CENTRAL"), ("GB", "GB-NORTH"), ("US", "US-EAST")])
def test_the_nearest_demo_warehouse_ships_a_whole_order(stock, country, expected):
    for sku in ("A", "B"):
        stock({"US-EAST": 5, "DE-CENTRAL": 5, "GB-NORTH": 5}, sku=sku)

    outcome = services.reserve_order(order_id=1, lines=[("A", 2), ("B", 1)], destination_country=country)

    assert {a.warehouse_code for a in outcome.allocations} == {expected}
    assert set(Reservation.objects.values_list("warehouse__code", flat=True)) == {expected}


@pytest.mark.django_db
def test_an_order_no_warehouse_can_ship_alone_is_split_across_the_fewest(stock):
    stock({"US-EAST": 5}, sku="A")
    stock({"GB-NORTH": 5, "DE-CENTRAL": 5}, sku="B")
    stock({"DE-CENTRAL": 5}, sku="C")

    outcome = services.reserve_order(order_id=1, lines=[("A", 1), ("B", 1), ("C", 1)], destination_country="GB")

    assert sorted((a.sku, a.warehouse_code, a.warehouse_country) for a in outcome.allocations) == [
        ("A", "US-EAST", "US"),
        ("B", "DE-CENTRAL", "DE"),
        ("C", "DE-CENTRAL", "DE"),
    ]
