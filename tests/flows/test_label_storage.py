"""Shipping labels go through Django's storage API: the local disk under MEDIA_ROOT, or an
S3-compatible bucket (django-storages + boto3) — here moto's S3 server, started by the test
on a free port. Either way the API serves the same PDFs; with the bucket, a label a Celery
worker process wrote is downloaded by the web process, as on separate machines."""

from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.support.worker import CeleryWorker, wait_until

from .conftest import carrier_update, checkout, order, register

pytestmark = pytest.mark.django_db(transaction=True)
BUCKET = "flowmart-labels-test"
KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_S3_REGION_NAME": "us-east-1"}


@pytest.fixture(scope="module")
def s3_server():
    """moto's S3 server on a free loopback port, with an empty private bucket."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=BUCKET)
    yield endpoint, client
    server.stop()


def s3_env(endpoint: str) -> dict:
    """The environment variables that switch FlowMart to the bucket (docs/configuration.md)."""
    return {
        **KEYS,
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_ADDRESSING_STYLE": "path",
    }


def s3_storages(endpoint: str) -> dict:
    """What flowmart/settings.py builds from s3_env (checked in tests/common/test_settings.py)."""
    options = {
        "bucket_name": BUCKET,
        "endpoint_url": endpoint,
        "region_name": "us-east-1",
        "access_key": "testing",
        "secret_key": "testing",
        "addressing_style": "path",
        "default_acl": None,
        "file_overwrite": False,
    }
    return {
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(params=["filesystem", "s3"])
def backend(request, settings, tmp_path):
    """Configure one backend; returns a function listing the stored objects' names and bytes."""
    if request.param == "filesystem":
        settings.MEDIA_ROOT = tmp_path
        return lambda: {str(p.relative_to(tmp_path)): p.read_bytes() for p in Path(tmp_path).rglob("*.pdf")}
    endpoint, client = request.getfixturevalue("s3_server")
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    settings.STORAGES = s3_storages(endpoint)
    return lambda: {
        item["Key"]: client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
        for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    }


def labels(stored: dict) -> dict:
    """The shipping labels among the stored files (paid orders' invoices are stored too)."""
    return {name: content for name, content in stored.items() if name.startswith("shipping/")}


def download(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


def test_shipping_and_return_labels_are_stored_and_served_by_either_backend(shop, staff, backend):
    buyer = register()
    placed = checkout(buyer, {"FLOW-RED": 1})
    [shipment] = order(buyer, placed["order_id"])["shipments"]
    label = download(staff, f"/api/v1/shipping/shipments/{shipment['id']}/label/")
    assert label.startswith(b"%PDF")
    assert list(labels(backend()).values()) == [label]
    [name] = labels(backend())
    assert name.startswith("shipping/labels/") and shipment["tracking_number"] in name
    # the paid order's invoice went to the same storage (billing's subscriber)
    invoice = download(buyer, f"/api/v1/orders/{placed['order_id']}/invoice/")
    assert [v for k, v in backend().items() if k.startswith("billing/")] == [invoice]

    staff.post(f"/api/v1/shipping/shipments/{shipment['id']}/dispatch/")
    carrier_update(shipment, "delivered")
    asked = buyer.post(
        f"/api/v1/orders/{placed['order_id']}/returns/", {"lines": [{"sku": "FLOW-RED", "quantity": 1}], "reason": "no"}
    )
    assert asked.status_code == 201, asked.content
    [ret] = order(buyer, placed["order_id"])["returns"]
    return_label = download(buyer, ret["label_url"])
    assert return_label.startswith(b"%PDF") and return_label != label
    assert sorted(labels(backend()).values()) == sorted([label, return_label])


@pytest.mark.worker
def test_a_shipment_made_by_a_worker_gets_its_label_stored_in_the_shared_bucket(shop, staff, s3_server, settings):
    """Two processes, one bucket: the worker books the parcel, the web process draws the label on
    its first download and stores it where every machine finds it."""
    from flowmart.celery import app

    endpoint, client = s3_server
    settings.STORAGES = s3_storages(endpoint)
    with CeleryWorker(extra_env=s3_env(endpoint)):
        app.conf.task_always_eager = False
        try:
            buyer = register()
            placed = checkout(buyer, {"FLOW-RED": 1})
            shipments = wait_until(lambda: order(buyer, placed["order_id"])["shipments"], timeout=60)
        finally:
            app.conf.task_always_eager = True
    label = download(staff, f"/api/v1/shipping/shipments/{shipments[0]['id']}/label/")
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert any(shipments[0]["tracking_number"] in key for key in keys)
    assert label.startswith(b"%PDF")
