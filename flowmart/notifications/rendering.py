"""Rendering a message from its templates, in the recipient's language.

One template per message type and locale, `notifications/<locale>/<type>.html`, falling
back to the first language in settings.LANGUAGES. The whole template is the HTML part; its
blocks `subject`, `text`, `sms`, `push_title` and `push_body` are the other parts, rendered
without HTML escaping (django-render-block). Optional customer messages get the one-click
unsubscribe link (RFC 8058 headers) and its footer.
"""

from __future__ import annotations

from django.conf import settings
from django.template import Context
from django.template.loader import render_to_string, select_template
from django.utils import translation
from render_block.django import django_render_block
from render_block.exceptions import BlockNotFound

from . import links
from .catalogue import CUSTOMER, EMAIL, message_type
from .channels import Content

TEXT_BLOCKS = ("subject", "text", "sms", "push_title", "push_body", "url")


def template_names(stem: str, locale: str, ext: str = "html") -> list[str]:
    fallback = settings.LANGUAGES[0][0]
    return [f"notifications/{locale}/{stem}.{ext}", f"notifications/{fallback}/{stem}.{ext}"]


def render(message) -> Content:
    kind = message_type(message.message_type)
    context = {
        **message.context,
        "message_id": message.pk,
        "preferences_url": links.preferences_url(),
        "unsubscribe_url": "",
    }
    if message.message_type in links.SEALED_LINKS:
        context["action_url"] = links.unsealed_action_url(message.message_type, message.context)
    headers = {}
    if kind.audience == CUSTOMER and not kind.essential and message.customer_id is not None:
        url = links.unsubscribe_url(message.customer_id, kind.category)
        context["unsubscribe_url"] = url
        if message.channel == EMAIL:
            headers = {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    with translation.override(message.locale):
        template = select_template(template_names(message.message_type, message.locale))
        parts = {name: _block(template, name, context) for name in TEXT_BLOCKS}
        html = template.render(context)
        if message.channel == EMAIL and kind.audience == CUSTOMER:
            footer = render_to_string(template_names("_footer", message.locale, "txt"), context)
            parts["text"] = f"{parts['text']}\n\n-- \n{footer.strip()}\n"
    return Content(
        subject=" ".join(parts["subject"].split()),
        text=parts["text"],
        html=html,
        sms=" ".join(parts["sms"].split()),
        push_title=" ".join(parts["push_title"].split()),
        push_body=" ".join(parts["push_body"].split()),
        url=parts["url"].strip(),
        headers=headers,
    )


def _block(template, name: str, context: dict) -> str:
    try:
        return django_render_block(template, name, Context(context, autoescape=False)).strip()
    except BlockNotFound:
        return ""
