"""Promotions' writes: one module per capability, each write one transaction with its events."""
