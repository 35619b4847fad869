"""State of the promotions context: its projection of the catalogue, catalogue sales and
lightning deals (flowmart/promotions/models/*.py, one module per capability)."""

from .catalogue import CatalogueCategory, CatalogueProduct, CatalogueSeller, CatalogueSku, SellerStaff
from .sales import LightningDeal, Sale

__all__ = [
    "CatalogueCategory",
    "CatalogueProduct",
    "CatalogueSeller",
    "CatalogueSku",
    "LightningDeal",
    "Sale",
    "SellerStaff",
]
