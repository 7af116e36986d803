"""The one stored timestamp format: ISO-8601 UTC, microseconds, a Z suffix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from sandbox.clock import iso_utc

OFFSETS = st.integers(min_value=-23 * 60, max_value=23 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes)))
MOMENTS = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(9999, 12, 30),
                       timezones=st.one_of(st.just(UTC), OFFSETS))


def plain_iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@given(st.lists(MOMENTS, min_size=1, max_size=5))
def test_matches_the_plain_formatting_whatever_came_before(moments: list[datetime]) -> None:
    # The text up to the second is cached: a sequence checks that the cache never leaks
    # one second's text into another moment.
    for moment in moments:
        assert iso_utc(moment) == plain_iso_utc(moment)


def test_neighbouring_seconds_around_the_epoch_and_a_day_change() -> None:
    start = datetime(1969, 12, 31, 23, 59, 58, 999_999, tzinfo=UTC)
    steps = (0, 1, 1_000_000, 1_000_001)
    stamps = [iso_utc(start + timedelta(microseconds=step)) for step in steps]
    assert stamps == ["1969-12-31T23:59:58.999999Z", "1969-12-31T23:59:59.000000Z",
                      "1969-12-31T23:59:59.999999Z", "1970-01-01T00:00:00.000000Z"]
