"""The API documentation works without the internet, and the schema behind it is valid and
lists only endpoints that exist."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import Resolver404, resolve
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
EXTERNAL = re.compile(r"""(?:https?:)?//[^"'\s)]+""", re.IGNORECASE)
METHODS = {"get", "put", "patch", "post", "delete", "head", "options"}


@pytest.fixture
def schema(api_client):
    response = api_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def docs_page(api_client):
    response = api_client.get("/api/docs/")
    assert response.status_code == 200
    return response.content.decode()


def static_prefix() -> str:
    return "/" + settings.STATIC_URL.strip("/") + "/"


def local_assets(page: str) -> list[str]:
    assets = ASSET.findall(page)
    assert assets, "the docs page references no assets at all"
    return assets


def test_docs_reference_no_outside_address(docs_page):
    """No CDN, no web fonts: a machine without internet access renders the same page."""
    assert EXTERNAL.findall(docs_page) == []
    assert all(asset.startswith(static_prefix()) for asset in local_assets(docs_page))
    assert "swagger-ui-bundle.js" in docs_page and 'url: "/api/schema/"' in docs_page


def test_docs_assets_exist_for_runserver(docs_page):
    """Under DEBUG (`make run`) the staticfiles app serves them from the installed packages."""
    for asset in local_assets(docs_page):
        assert finders.find(asset.removeprefix(static_prefix())), f"{asset} is not among the static files"


def test_collectstatic_gathers_the_docs_assets(docs_page, tmp_path, settings):
    """In production the reverse proxy serves STATIC_ROOT, filled by collectstatic (docker/Dockerfile)."""
    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", interactive=False, verbosity=0)
    for asset in local_assets(docs_page):
        assert (tmp_path / asset.removeprefix(static_prefix())).is_file(), asset


def test_the_dockerfile_collects_static_files():
    dockerfile = (Path(settings.BASE_DIR) / "docker" / "Dockerfile").read_text()

    assert "manage.py collectstatic" in dockerfile


def test_the_schema_is_valid_openapi(schema):
    validate(schema)  # raises on the first violation of the OpenAPI 3 specification


def test_the_schema_documents_search_facets_and_suggest(schema):
    products = schema["paths"]["/api/v1/products/"]["get"]
    assert {"search", "category", "seller", "min_price", "max_price", "in_stock", "ordering"} <= {
        p["name"] for p in products["parameters"]
    }
    page = products["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][page]["properties"]) == {
        "count",
        "next",
        "previous",
        "results",
        "facets",
    }
    suggest = schema["paths"]["/api/v1/search/suggest/"]["get"]
    assert {p["name"] for p in suggest["parameters"]} == {"q", "limit"}


def path_with_sample_ids(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", template)


def test_every_schema_path_is_routed_to_a_view_that_handles_its_methods(schema):
    for template, operations in schema["paths"].items():
        try:
            match = resolve(path_with_sample_ids(template))
        except Resolver404:
            pytest.fail(f"{template} is in the schema but no URL answers it")
        view = match.func.view_class
        for method in set(operations) & METHODS:
            assert hasattr(view, method), f"{method.upper()} {template}: {view.__name__} has no handler"


def test_no_parameterless_get_in_the_schema_answers_404_or_405(schema, api_client):
    for template, operations in schema["paths"].items():
        if "get" in operations and "{" not in template:
            status = api_client.get(template).status_code
            assert status not in (404, 405) and status < 500, f"GET {template} answered {status}"
