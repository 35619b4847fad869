"""Invoices and credit notes: numbered without gaps, immutable once issued."""
