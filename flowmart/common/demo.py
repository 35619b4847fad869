"""The demo shop, as plain data. Each context seeds its own part from it (catalog the
products, inventory the warehouses and stock, shipping the rates), so the SKUs agree
without any context reading another's tables. Deterministic: same data every run."""

from decimal import Decimal

SELLERS = [
    {"slug": "northwind", "name": "Northwind Outfitters", "contact_email": "stock@northwind.example"},
    {"slug": "acme-audio", "name": "Acme Audio", "contact_email": "ops@acme-audio.example"},
    {"slug": "kettle-and-co", "name": "Kettle & Co", "contact_email": "hello@kettle-and-co.example"},
]

CATEGORIES = [  # (slug, name, parent slug)
    ("outdoor", "Outdoor", None),
    ("outdoor-apparel", "Outdoor apparel", "outdoor"),
    ("audio", "Audio", None),
    ("headphones", "Headphones", "audio"),
    ("kitchen", "Kitchen", None),
    ("coffee", "Coffee", "kitchen"),
]

_LINES = [  # (seller, category, base name, base price, weight g, variant axis, values)
    ("northwind", "outdoor-apparel", "Trail Jacket", "129.00", 900, "size", ["S", "M", "L"]),
    ("northwind", "outdoor-apparel", "Merino Tee", "45.00", 200, "size", ["S", "M", "L"]),
    ("northwind", "outdoor", "Camp Stove", "79.50", 1400, "fuel", ["gas"]),
    ("acme-audio", "headphones", "Studio Headphones", "199.00", 350, "colour", ["black", "white", "blue"]),
    ("acme-audio", "audio", "Bookshelf Speaker", "149.99", 4200, "finish", ["oak"]),
    ("kettle-and-co", "coffee", "Pour-over Kettle", "59.00", 1100, "colour", ["steel", "matte black"]),
    ("kettle-and-co", "coffee", "Single-origin Beans", "16.50", 250, "grind", ["whole", "filter"]),
    ("kettle-and-co", "kitchen", "Chef Knife", "89.00", 300, "length", ["20cm", "24cm", "27cm"]),
]

EDITIONS = ["Classic", "Pro", "Lite", "Eco", "Max", "Mini", "Plus"]

WAREHOUSES = [
    {"code": "US-EAST", "name": "Newark fulfilment", "country": "US", "latitude": "40.7357", "longitude": "-74.1724"},
    {"code": "DE-CENTRAL", "name": "Kassel fulfilment", "country": "DE", "latitude": "51.3127", "longitude": "9.4797"},
    {"code": "GB-NORTH", "name": "Leeds fulfilment", "country": "GB", "latitude": "53.8008", "longitude": "-1.5491"},
]


def products() -> list[dict]:
    """56 products with 126 variants; every variant carries its demo stock per warehouse."""
    result = []
    for edition_no, edition in enumerate(EDITIONS):
        for line_no, (seller, category, base, price, weight, axis, values) in enumerate(_LINES):
            slug = f"{base.lower().replace(' ', '-')}-{edition.lower()}"
            bump = Decimal(edition_no * 5)
            variants = []
            for value_no, val in enumerate(values):
                sku = f"{slug[:12].upper().replace('-', '')}-{edition_no}{line_no}{value_no}"
                seed = edition_no * 31 + line_no * 7 + value_no
                variants.append(
                    {
                        "sku": sku,
                        "name": val,
                        "price": str(Decimal(price) + bump),
                        "currency": "USD",
                        "weight_grams": weight,
                        "attributes": {axis: val},
                        "stock": {"US-EAST": seed % 40, "DE-CENTRAL": (seed * 3) % 25, "GB-NORTH": (seed * 5) % 15},
                    }
                )
            result.append(
                {
                    "seller": seller,
                    "category": category,
                    "name": f"{base} {edition}",
                    "slug": slug,
                    "description": f"The {edition.lower()} edition of our {base.lower()}.",
                    "image_url": f"https://images.flowmart.local/{slug}.jpg",
                    "variants": variants,
                }
            )
    return result
