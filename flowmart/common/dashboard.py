"""The admin's dashboards: panels each context contributes for the roles that need them.

The dashboard page knows no context (the shared kernel never imports one): each context
registers its panels from its admin module, computed from its own tables. Every panel is a
fixed, small number of queries over indexed ranges (today, the last hour, 30 days, the
top N), so the index page stays fast with a million orders; tests count the queries.

A panel returns a dict the template renders: `rows` [(label, value, url or "")], `bars`
[(label, value)] drawn as an SVG chart, `note` a sentence, `tone` "warn" to draw the eye."""

from collections.abc import Callable
from dataclasses import dataclass

from . import roles

OPERATIONS, SELLER = "operations", "seller"


@dataclass(frozen=True)
class Panel:
    title: str
    audience: str  # OPERATIONS or SELLER
    render: Callable  # render(request) -> dict
    order: int = 100


_PANELS: dict[str, Panel] = {}


def register(title: str, audience: str, order: int = 100):
    """Decorator: `@register("Fraud queue", OPERATIONS)` over `def panel(request) -> dict`."""

    def wrap(render):
        _PANELS[f"{audience}:{title}"] = Panel(title, audience, render, order)
        return render

    return wrap


def audience_of(user) -> str | None:
    if roles.is_operations(user):
        return OPERATIONS
    if roles.is_seller_staff(user):
        return SELLER
    return None


def panels_for(request) -> list[dict]:
    audience = audience_of(request.user)
    chosen = sorted((p for p in _PANELS.values() if p.audience == audience), key=lambda p: (p.order, p.title))
    return [{"title": p.title, **p.render(request)} for p in chosen]


def bars_svg(bars: list[tuple[str, float]], width: int = 600, height: int = 120) -> list[dict]:
    """Bar geometry for the template's SVG chart (no JavaScript needed)."""
    top = max((v for _, v in bars), default=0) or 1
    step = width / max(len(bars), 1)
    out = []
    for i, (label, value) in enumerate(bars):
        h = round(float(value) / float(top) * (height - 10), 1)
        out.append({"x": round(i * step, 1), "y": round(height - h, 1), "w": round(step * 0.8, 1), "h": h})
        out[-1].update(label=label, value=value)
    return out
