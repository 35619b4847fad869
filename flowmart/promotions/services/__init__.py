"""Commands of the promotions context: each in one transaction, publishing what it changes."""
