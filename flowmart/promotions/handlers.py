"""Event subscribers of this context: the SUBSCRIBERS mapping is its whole wiring.
Names are stable ("promotions.<function>"): never rename one once written."""

SUBSCRIBERS: dict = {}
