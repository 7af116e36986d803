"""Store price points per currency and fixed sandbox exchange rates to USD.

A purchase draws a USD amount, snaps it to the nearest USD tier, and charges the same tier
in the buyer's local currency; ``revenue_usd`` converts that local price back with a fixed
rate, so runs stay reproducible. Rates are round 2025 figures, for realism only.
"""

from __future__ import annotations

USD_TIERS: tuple[float, ...] = (0.99, 1.99, 2.99, 4.99, 9.99, 19.99, 49.99, 99.99)

LOCAL_TIERS: dict[str, tuple[float, ...]] = {
    "USD": USD_TIERS,
    "EUR": (0.99, 1.99, 2.99, 5.49, 10.99, 21.99, 54.99, 109.99),
    "GBP": (0.99, 1.99, 2.99, 4.99, 9.99, 19.99, 49.99, 99.99),
    "CAD": (1.39, 2.79, 3.99, 6.99, 13.99, 27.99, 69.99, 139.99),
    "AUD": (1.49, 2.99, 4.49, 7.99, 15.99, 29.99, 79.99, 159.99),
    "JPY": (160, 300, 500, 800, 1500, 3000, 7800, 15800),
    "KRW": (1400, 2900, 4400, 7500, 14000, 29000, 73000, 149000),
    "INR": (89, 179, 249, 449, 899, 1799, 4499, 8999),
    "BRL": (5.9, 10.9, 16.9, 27.9, 54.9, 109.9, 279.9, 549.9),
    "MXN": (19, 39, 59, 99, 199, 399, 999, 1999),
    "IDR": (15000, 29000, 45000, 79000, 159000, 299000, 799000, 1599000),
    "TRY": (39.99, 79.99, 119.99, 199.99, 399.99, 799.99, 1999.99, 3999.99),
}

USD_PER_UNIT: dict[str, float] = {
    "USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CAD": 0.73, "AUD": 0.66, "JPY": 0.0067,
    "KRW": 0.00073, "INR": 0.012, "BRL": 0.18, "MXN": 0.055, "IDR": 0.000062, "TRY": 0.029,
}


def tier_index(amount_usd: float) -> int:
    """The USD tier nearest to ``amount_usd``."""
    best, best_gap = 0, abs(USD_TIERS[0] - amount_usd)
    for index, price in enumerate(USD_TIERS):
        gap = abs(price - amount_usd)
        if gap < best_gap:
            best, best_gap = index, gap
    return best


def local_price(currency: str, index: int) -> float:
    return float(LOCAL_TIERS[currency][index])


def to_usd(amount: float, currency: str) -> float:
    return round(amount * USD_PER_UNIT[currency], 2)
