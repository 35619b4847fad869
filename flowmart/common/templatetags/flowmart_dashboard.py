"""{% dashboard_panels as panels %}: the panels of the signed-in user's role (dashboard.py)."""

from django import template

from .. import dashboard

register = template.Library()


@register.simple_tag(takes_context=True)
def dashboard_panels(context):
    request = context.get("request")
    return dashboard.panels_for(request) if request is not None else []


@register.filter
def get_label(bar):
    return bar.get("label", "") if isinstance(bar, dict) else ""
