"""Catalogue sales, lightning deals and vouchers: what a shopper saves, decided by staff and sellers."""
