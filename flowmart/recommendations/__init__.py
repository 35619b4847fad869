"""Frequently bought together and trending, kept incrementally from order events."""
