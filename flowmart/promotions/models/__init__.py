"""State of the promotions context, one module per capability: its projection of the
catalogue (catalogue.py), catalogue sales and lightning deals (sales.py), voucher codes
(vouchers.py)."""

from .catalogue import CatalogueCategory, CatalogueProduct, CatalogueSeller, CatalogueSku, SellerStaff
from .sales import LightningDeal, Sale
from .vouchers import Voucher, VoucherUse

__all__ = [
    "CatalogueCategory",
    "CatalogueProduct",
    "CatalogueSeller",
    "CatalogueSku",
    "LightningDeal",
    "Sale",
    "SellerStaff",
    "Voucher",
    "VoucherUse",
]
