"""The embedded default on real SQLite: migrated from scratch (pg_trgm and the pattern indexes
degrade to plain indexes), the demo catalogue loaded, then search, facets and auto-suggest
through the API. The suite itself runs on PostgreSQL, so this runs in a child process."""

import pytest

from tests.support.embedded import run_on_sqlite

SCRIPT = """
import json
from io import StringIO

import django

django.setup()
from django.core.management import call_command
from django.db import connection
from django.test import Client

from flowmart.catalog import services
from flowmart.common import demo

call_command("migrate", verbosity=0)
call_command("demo_catalog", stdout=StringIO())
bought = next(v["sku"] for p in demo.products() if p["name"] == "Merino Tee Lite" for v in p["variants"])
services.record_order([(bought, 1)])
client = Client()
out = {"vendor": connection.vendor, "search": {}, "suggest": {}}
for text in ["STUDIOHEADP-030", "studioheadp-03", "head", "hedphones", "kettle", "edition of our chef", "tee -merino"]:
    body = client.get("/api/v1/products/", {"search": text, "page_size": 100}).json()
    out["search"][text] = [p["name"] for p in body["results"]]
out["facets"] = client.get("/api/v1/products/", {"search": "headphones", "in_stock": "false"}).json()["facets"]
for text in ["me", "studioheadp-1", "x"]:
    out["suggest"][text] = client.get("/api/v1/search/suggest/", {"q": text}).json()["suggestions"]
print("RESULT " + json.dumps(out))
"""


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    database = tmp_path_factory.mktemp("embedded") / "db.sqlite3"
    return run_on_sqlite(SCRIPT, database)


def test_it_really_ran_on_sqlite(embedded):
    assert embedded["vendor"] == "sqlite"


def test_a_sku_and_a_sku_prefix_find_their_product(embedded):
    assert embedded["search"]["STUDIOHEADP-030"] == ["Studio Headphones Classic"]
    assert embedded["search"]["studioheadp-03"] == ["Studio Headphones Classic"]


def test_the_start_of_a_word_and_a_simple_typo_find_the_headphones(embedded):
    for text in ("head", "hedphones"):
        found = embedded["search"][text]
        assert len(found) == 7 and all(name.startswith("Studio Headphones") for name in found), text


def test_descriptions_and_exclusions(embedded):
    assert [name.rsplit(" ", 1)[0] for name in embedded["search"]["edition of our chef"]] == ["Chef Knife"] * 7
    assert embedded["search"]["tee -merino"] == []
    assert len(embedded["search"]["kettle"]) == 7


def test_facets_are_counted(embedded):
    facets = embedded["facets"]
    assert sum(b["count"] for b in facets["seller"]) > 0
    assert {b["slug"] for b in facets["category"]} == {"audio", "headphones"}


def test_suggest_ranks_by_popularity_and_finds_skus(embedded):
    names = [s["text"] for s in embedded["suggest"]["me"] if s["kind"] == "name"]
    assert names[0] == "Merino Tee Lite"  # the one bought
    assert len(names) == 7 and all(name.startswith("Merino Tee") for name in names)
    assert embedded["suggest"]["me"][-1]["kind"] == "sku"  # the eighth place goes to a SKU
    assert [s["text"] for s in embedded["suggest"]["studioheadp-1"]] == [
        "STUDIOHEADP-130",
        "STUDIOHEADP-131",
        "STUDIOHEADP-132",
    ]
    assert embedded["suggest"]["x"] == []
