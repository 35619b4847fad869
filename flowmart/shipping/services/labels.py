"""Parcel labels drawn on first download, not inside the checkout saga.

Booking a parcel with a simulated carrier only draws its tracking number; the shipment is
saved with its label's storage name (`Shipment.label`, where the file is kept as before) and
the PDF is drawn from the shipment's own fields the first time staff download it, then stored
under that name, so every later download (from any web process) serves the same bytes. A
carrier that hands back a finished PDF when it sells the label (EasyPost) is stored at once.
Erasure (privacy.py) deletes the file and clears the name: a label is then never drawn again."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models.fields.files import FieldFile

from flowmart.shipping.carriers import DrawsLabels, Label, get_carrier
from flowmart.shipping.models import Shipment


def attach_label(shipment: Shipment, label: Label) -> None:
    """Name (and, when the carrier sent one, store) the label of a shipment not yet saved."""
    filename = f"{label.tracking_number}.pdf"
    if label.pdf is not None:
        shipment.label.save(filename, ContentFile(label.pdf), save=False)
    else:
        shipment.label.name = shipment.label.field.generate_filename(shipment, filename)


def stored_label(shipment_id: int) -> FieldFile | None:
    """The shipment's label file, drawn and stored now if nobody downloaded it before; None
    when the shipment has no label (erased). The row lock makes concurrent first downloads
    draw it once. A carrier that cannot draw labels again (EasyPost sold it as a file) has
    none to offer once its file is gone."""
    with transaction.atomic():
        shipment = Shipment.objects.select_for_update().get(pk=shipment_id)
        label = shipment.label
        if not label or label.storage.exists(label.name):
            return label or None
        carrier = get_carrier(shipment.carrier)
        if not isinstance(carrier, DrawsLabels):
            return None
        pdf = carrier.draw_label(shipment)
        stored = label.storage.save(label.name, ContentFile(pdf))
        if stored != label.name:  # the storage chose another name (a stray file was in the way)
            shipment.label.name = stored
            shipment.save(update_fields=["label"])
        return shipment.label
