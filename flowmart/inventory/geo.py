"""Just enough geography to route an order to the nearest warehouse: approximate
country centroids (ISO alpha-2 → latitude, longitude) and great-circle distance.
A country missing from the table is treated as equally far from every warehouse,
so routing then falls back to its other tie-breaks (coverage, warehouse code)."""

import functools
import math

CENTROIDS: dict[str, tuple[float, float]] = {
    "AR": (-38.4, -63.6),
    "AT": (47.5, 14.6),
    "AU": (-25.3, 133.8),
    "BE": (50.5, 4.5),
    "BG": (42.7, 25.5),
    "BR": (-14.2, -51.9),
    "CA": (56.1, -106.3),
    "CH": (46.8, 8.2),
    "CL": (-35.7, -71.5),
    "CN": (35.9, 104.2),
    "CO": (4.6, -74.3),
    "CZ": (49.8, 15.5),
    "DE": (51.2, 10.5),
    "DK": (56.3, 9.5),
    "EE": (58.6, 25.0),
    "EG": (26.8, 30.8),
    "ES": (40.5, -3.7),
    "FI": (61.9, 25.7),
    "FR": (46.2, 2.2),
    "GB": (54.0, -2.0),
    "GR": (39.1, 21.8),
    "HK": (22.4, 114.1),
    "HR": (45.1, 15.2),
    "HU": (47.2, 19.5),
    "IE": (53.4, -8.2),
    "IL": (31.0, 34.9),
    "IN": (20.6, 79.0),
    "IS": (64.9, -19.0),
    "IT": (41.9, 12.6),
    "JP": (36.2, 138.3),
    "KR": (35.9, 127.8),
    "LT": (55.2, 23.9),
    "LU": (49.8, 6.1),
    "LV": (56.9, 24.6),
    "MX": (23.6, -102.6),
    "NL": (52.1, 5.3),
    "NO": (60.5, 8.5),
    "NZ": (-40.9, 174.9),
    "PL": (51.9, 19.1),
    "PT": (39.4, -8.2),
    "RO": (45.9, 25.0),
    "SE": (60.1, 18.6),
    "SG": (1.35, 103.8),
    "SI": (46.2, 15.0),
    "SK": (48.7, 19.7),
    "TR": (39.0, 35.2),
    "UA": (48.4, 31.2),
    "US": (39.8, -98.6),
    "ZA": (-30.6, 22.9),
}

EARTH_RADIUS_KM = 6371.0


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine great-circle distance."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


@functools.lru_cache(maxsize=4096)
def distance_to_country(latitude, longitude, country: str | None) -> float:
    """Distance from a warehouse to a destination country's centroid (0 when unknown).
    Cached: a few warehouses and destinations, asked for every reservation."""
    centroid = CENTROIDS.get((country or "").upper())
    if centroid is None:
        return 0.0
    return distance_km(float(latitude), float(longitude), *centroid)
