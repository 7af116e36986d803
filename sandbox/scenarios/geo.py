"""Countries the generator knows: public IPv4 ranges, currency, language, carriers, Faker locale.

The CIDR ranges are large blocks held by each country's main ISPs in the RIR delegation data.
They make IPs plausible for their country; they are not a GeoIP database (none can be
downloaded here), so treat them as approximate.
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Country:
    code: str
    currency: str
    language: str  # BCP 47
    locale: str  # Faker locale for city names
    carriers: tuple[str, ...]
    cidrs: tuple[str, ...]

    @cached_property
    def _blocks(self) -> tuple[tuple[int, int], ...]:
        blocks = []
        for text in self.cidrs:
            net = ipaddress.IPv4Network(text)
            blocks.append((int(net.network_address), net.num_addresses))
        return tuple(blocks)

    def random_ip(self, rng: random.Random) -> str:
        """An address inside one of the country's ranges, never ending in .0 or .255."""
        start, size = self._blocks[int(rng.random() * len(self._blocks))]
        number = start + int(rng.random() * size)
        last = 1 + (number & 255) % 254
        return f"{number >> 24 & 255}.{number >> 16 & 255}.{number >> 8 & 255}.{last}"


def _c(code: str, currency: str, language: str, locale: str,
       carriers: tuple[str, ...], cidrs: tuple[str, ...]) -> Country:
    return Country(code, currency, language, locale, carriers, cidrs)


COUNTRIES: dict[str, Country] = {c.code: c for c in (
    _c("US", "USD", "en-US", "en_US", ("Verizon", "AT&T", "T-Mobile"),
       ("12.0.0.0/8", "73.0.0.0/8", "174.192.0.0/10", "172.32.0.0/11")),
    _c("CA", "CAD", "en-CA", "en_CA", ("Rogers", "Bell", "Telus"),
       ("99.224.0.0/11", "174.88.0.0/13")),
    _c("GB", "GBP", "en-GB", "en_GB", ("EE", "Vodafone UK", "O2 - UK", "Three"),
       ("86.128.0.0/10", "2.24.0.0/13", "31.48.0.0/13")),
    _c("DE", "EUR", "de-DE", "de_DE", ("Telekom.de", "Vodafone.de", "o2 - de"),
       ("79.192.0.0/10", "91.0.0.0/10", "217.224.0.0/11", "84.128.0.0/10")),
    _c("FR", "EUR", "fr-FR", "fr_FR", ("Orange F", "SFR", "Free", "Bouygues Telecom"),
       ("90.0.0.0/9", "78.192.0.0/10", "88.160.0.0/11")),
    _c("ES", "EUR", "es-ES", "es_ES", ("Movistar", "Vodafone ES", "Orange"),
       ("88.0.0.0/11", "83.32.0.0/11")),
    _c("IT", "EUR", "it-IT", "it_IT", ("TIM", "Vodafone IT", "WINDTRE", "Iliad"),
       ("151.0.0.0/10", "79.0.0.0/11", "2.32.0.0/11")),
    _c("BR", "BRL", "pt-BR", "pt_BR", ("Vivo", "Claro BR", "TIM BR"),
       ("189.0.0.0/11", "187.0.0.0/12")),
    _c("MX", "MXN", "es-MX", "es_MX", ("Telcel", "AT&T MX", "Movistar MX"),
       ("189.128.0.0/10", "201.96.0.0/11")),
    _c("IN", "INR", "en-IN", "en_IN", ("Jio", "Airtel", "Vi India"),
       ("117.192.0.0/10", "49.32.0.0/11", "59.88.0.0/13")),
    _c("JP", "JPY", "ja-JP", "ja_JP", ("NTT DOCOMO", "au", "SoftBank"),
       ("126.0.0.0/8", "153.128.0.0/9")),
    _c("KR", "KRW", "ko-KR", "ko_KR", ("SK Telecom", "KT", "LG U+"),
       ("175.192.0.0/10", "121.128.0.0/10")),
    _c("AU", "AUD", "en-AU", "en_AU", ("Telstra", "Optus", "Vodafone AU"),
       ("1.128.0.0/11", "101.160.0.0/11")),
    _c("ID", "IDR", "id-ID", "id_ID", ("Telkomsel", "Indosat Ooredoo", "XL Axiata"),
       ("36.64.0.0/11",)),
    _c("TR", "TRY", "tr-TR", "tr_TR", ("Turkcell", "Vodafone TR", "Turk Telekom"),
       ("78.160.0.0/11", "88.224.0.0/11")),
)}


def country(code: str) -> Country:
    return COUNTRIES[code]
