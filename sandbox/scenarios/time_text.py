"""Moments as postback text: unix seconds and milliseconds, ISO 8601 and the
``yyyy-MM-dd HH:mm:ss.SSS`` that MMPs send, plain and already percent-encoded for URLs.
Every time macro of ``macro_catalogue.py`` writes through these."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime


def unix(moment: float) -> int:
    return int(moment)


def unix_ms(moment: float) -> int:
    return int(round(moment * 1000))


_DAYS: dict[int, str] = {}  # day number -> "2026-01-05"


def _date(day: int) -> str:
    date = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%d")
    if len(_DAYS) < 100_000:
        _DAYS[day] = date
    return date


_TWO_DIGITS = tuple(f"{number:02d}" for number in range(60))
_DIGITS = "0123456789"


def _stamper(name: str, between: str, colon: str, end: str, doc: str
             ) -> Callable[[float], str]:
    """A function writing a moment as date + ``between`` + HH:MM:SS (``colon`` between the
    fields) + .mmm + ``end``: the hot path of every time text.

    The texts come from small tables (a date per day, HH:MM per minute of the day): a table
    per second of the day is too big for the CPU caches, and a lookup in it cost more than
    the arithmetic. One function per format, not a shared helper, saves a call per text.
    """
    # joined from small pieces: a format per entry would add milliseconds to every start
    minutes_texts = tuple([between + hour + colon + minute + colon
                           for hour in _TWO_DIGITS[:24] for minute in _TWO_DIGITS])
    millis_texts = tuple([f".{a}{b}{c}{end}" for a in _DIGITS for b in _DIGITS for c in _DIGITS])

    def stamp(moment: float) -> str:
        seconds, millis = divmod(int(moment * 1000 + 0.5), 1000)
        minutes, second = divmod(seconds, 60)
        day, minute = divmod(minutes, 1440)
        try:
            date = _DAYS[day]
        except KeyError:
            date = _date(day)
        return f"{date}{minutes_texts[minute]}{_TWO_DIGITS[second]}{millis_texts[millis]}"

    stamp.__name__ = stamp.__qualname__ = name
    stamp.__doc__ = doc
    return stamp


iso = _stamper("iso", "T", ":", "Z", "2026-01-05T14:03:07.123Z")
mmp_datetime = _stamper("mmp_datetime", " ", ":", "",
                        "AppsFlyer's ``yyyy-MM-dd HH:mm:ss.SSS`` (UTC).")
iso_url = _stamper("iso_url", "T", "%3A", "Z",
                   "``iso(moment)`` percent-encoded for a URL (its colons), without encoding it.")
mmp_datetime_url = _stamper(
    "mmp_datetime_url", "%20", "%3A", "",
    "``mmp_datetime(moment)`` percent-encoded for a URL (its space and colons).")
