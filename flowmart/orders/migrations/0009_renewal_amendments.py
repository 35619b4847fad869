"""Order lines keep their own discount percent (a renewal line's plan discount), so amending a
grouped renewal order re-prices each line at its plan's discount instead of one order-level one.

Existing renewal lines are filled in: from the order's percent where the order had one (every
line of a single-plan renewal), else from the line's own discount over its goods, rounded to
the whole percent plans are made of."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations, models


def fill_renewal_lines(apps, schema_editor):
    OrderLine = apps.get_model("orders", "OrderLine")
    lines = OrderLine.objects.filter(subscription_id__isnull=False, discount_percent__isnull=True).select_related(
        "order"
    )
    for line in lines.iterator(chunk_size=1000):
        goods = line.unit_price * line.quantity
        if line.order.discount_percent:
            percent = line.order.discount_percent
        elif goods:
            percent = int((line.discount * 100 / goods).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        else:
            percent = 0
        OrderLine.objects.filter(pk=line.pk).update(discount_percent=percent)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0008_staff_action_resend"),
    ]

    operations = [
        migrations.AddField(
            model_name="orderline",
            name="discount_percent",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(fill_renewal_lines, migrations.RunPython.noop),
    ]
