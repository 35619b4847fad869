"""Commands that change payments state: each runs in one transaction and publishes
its events inside it."""
