"""Verified-purchase reviews, seller replies, moderation, and the ratings the catalogue shows."""
