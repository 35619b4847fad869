"""{% outbox_backlog as backlog %}: the dispatcher's backlog (backlog.py) for any staff page;
the admin index shows it, and the operations dashboards can include the same panel."""

from django import template

from ..backlog import backlog

register = template.Library()


@register.simple_tag
def outbox_backlog():
    return backlog()
