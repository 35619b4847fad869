"""Event subscribers of this context: the SUBSCRIBERS mapping is its whole wiring."""

SUBSCRIBERS: dict = {}
