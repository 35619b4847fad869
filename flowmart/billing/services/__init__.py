"""Billing's commands: keep the projections from events (projections.py) and issue what is
due (issuing.py), numbered by numbering.py; erasure.py takes an erased buyer off them. Each
runs in the caller's transaction (a subscriber's) or its own."""
