"""A small body must not buy a large amount of work: parsing, viewing and listing are bounded.

Against a real server: a 16 KB gzip body that inflates to 16 MB of ``[[],[],...]`` is answered
at once and kept compressed; with the inflate limit raised to 16 MB (the old default, so the
store holds the 16 MB) it is not parsed, the worker stays responsive and small, and what the
API and the inspector show of it is bounded, while the raw body endpoint gives the exact bytes.
"""

from __future__ import annotations

import gzip
import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.capture.record import (
    MAX_JSON_ELEMENTS,
    InboundRequest,
    ParseLimits,
    build_record,
    count_json_elements,
)
from sandbox.capture.view import VIEW_LIMIT
from sandbox.remote.process import RunningServer, start_server

BOMB = gzip.compress(b"[" + b"[]," * 5_500_000 + b"[]]", 9)  # 16 KB that inflates to 16 MB
MANY = gzip.compress(b"[" + b"[]," * 300_000 + b"[]]", 9)  # 900 KB: under max_body, 300k values


@pytest.fixture(scope="module")
def amp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_server(tmp_path_factory.mktemp("amp") / "amp.db", args=["--workers", "1"],
                          env={"SANDBOX_MAX_DECODED_BODY": str(16 * 1024 * 1024)})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def default_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_server(tmp_path_factory.mktemp("amp") / "default.db",
                          args=["--workers", "1"])
    yield server
    server.stop()


def _send(server: RunningServer, path: str, body: bytes, headers: dict[str, str]) -> float:
    """POST ``body``; answer how long the answer took (it must be 200)."""
    request = urllib.request.Request(server.url + path, data=body, headers=headers,
                                     method="POST")
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200
        answer.read()
    return time.monotonic() - started


def _get(server: RunningServer, path: str, timeout: float = 30) -> bytes:
    with urllib.request.urlopen(server.url + path, timeout=timeout) as answer:
        return bytes(answer.read())


def _health_seconds(server: RunningServer) -> float:
    started = time.monotonic()
    assert json.loads(_get(server, "/api/health", timeout=5))["status"] == "ok"
    return time.monotonic() - started


def _last(server: RunningServer, channel: str) -> tuple[dict[str, Any], int]:
    text = _get(server, f"/api/postbacks?channel={channel}&limit=1")
    return json.loads(text)["postbacks"][0], len(text)


def _worker_peak_mb(server: RunningServer) -> float:
    """VmHWM of the server's worker processes (its children), the largest, in MB."""
    peaks = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != server.process.pid:
                continue
            status = (stat.parent / "status").read_text()
        except (OSError, IndexError, ValueError):
            continue  # the process went away while we looked
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    assert peaks, "no worker process found"
    return max(peaks)


GZIP_JSON = {"Content-Type": "application/json", "Content-Encoding": "gzip"}


def test_compressed_bomb_is_kept_compressed_by_default(default_server: RunningServer):
    assert _send(default_server, "/pb/amp", BOMB, GZIP_JSON) < 2
    assert _health_seconds(default_server) < 1
    view, size = _last(default_server, "amp")
    assert size < 1024 * 1024 and view["json"] is None
    assert view["body_note"] == (
        "decoded body exceeds the limit of 1048576 bytes; kept compressed")
    # a body the sandbox cannot decode cannot be masked either: it is served when revealed
    assert _get(default_server, view["body_url"] + "?reveal=1") == BOMB


def test_compressed_bomb_is_answered_at_once_and_kept_raw(amp_server: RunningServer):
    assert _send(amp_server, "/pb/amp", BOMB, GZIP_JSON) < 2
    assert _health_seconds(amp_server) < 1
    view, size = _last(amp_server, "amp")
    assert size < 1024 * 1024
    assert view["json"] is None
    assert view["body_note"] == "not parsed: larger than 1048576 bytes"
    assert view["truncated"] is True and "body_text" in view["truncated_fields"]
    assert len(view["body_text"]) == VIEW_LIMIT
    assert view["body_text_size"] == 16_500_004
    assert _get(amp_server, view["body_url"]) == BOMB  # the exact bytes, whatever is shown
    page = _get(amp_server, f"/ui/postbacks/{view['id']}")
    assert len(page) < 1024 * 1024 and view["body_url"].encode() in page


def test_too_many_json_values_are_counted_not_parsed(amp_server: RunningServer):
    assert _send(amp_server, "/pb/many", MANY, GZIP_JSON) < 2
    assert _health_seconds(amp_server) < 1
    view, size = _last(amp_server, "many")
    assert size < 1024 * 1024 and view["json"] is None
    assert view["body_note"] == f"not parsed: more than {MAX_JSON_ELEMENTS} JSON values"
    assert view["lint"] == []


def test_too_many_form_fields_are_not_parsed(amp_server: RunningServer):
    body = gzip.compress(b"a=&" * 200_000)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Content-Encoding": "gzip"}
    assert _send(amp_server, "/pb/form", body, headers) < 2
    view, _ = _last(amp_server, "form")
    assert view["form"] is None
    assert view["body_note"] == f"not parsed: more than {MAX_JSON_ELEMENTS} form fields"


@pytest.mark.parametrize("levels", [65, 5000])
def test_deep_json_is_noted_as_too_deep_not_invalid(amp_server: RunningServer, levels: int):
    body = ("[" * levels + "]" * levels).encode()
    _send(amp_server, "/pb/deep", body, {"Content-Type": "application/json"})
    view, _ = _last(amp_server, "deep")
    assert view["json"] is None
    assert view["body_note"] == "not parsed: deeper than 64 levels"


def test_large_plain_body_view_is_cut_with_a_link(amp_server: RunningServer):
    body = ("x" * 1000 + "\n") * 900  # 900 KB of text: taken whole, shown cut
    _send(amp_server, "/pb/text", body.encode(), {"Content-Type": "text/plain"})
    view, size = _last(amp_server, "text")
    assert size < 4 * VIEW_LIMIT * 2  # body and body_text, JSON-escaped
    assert view["truncated_fields"] == ["body", "body_text"]
    assert view["body"] == body[:VIEW_LIMIT] and view["body_size"] == len(body)
    assert _get(amp_server, view["body_url"]) == body.encode()
    page = _get(amp_server, f"/ui/postbacks/{view['id']}")
    assert len(page) < 1024 * 1024 and b"download the whole body" in page


@pytest.mark.parametrize(("fixture", "bound_mb"), [("default_server", 150),
                                                   ("amp_server", 300)])
def test_worker_memory_stays_small(request: pytest.FixtureRequest, fixture: str, bound_mb: int):
    server: RunningServer = request.getfixturevalue(fixture)
    _send(server, "/pb/amp", BOMB, GZIP_JSON)
    view, _ = _last(server, "amp")
    _get(server, f"/ui/postbacks/{view['id']}")
    peak = _worker_peak_mb(server)
    print(f"worker peak RSS {peak:.0f} MB ({fixture})")
    assert peak < bound_mb


# The counter and the parse, for any JSON value.

def _values(text: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=6) | st.dictionaries(text, inner, max_size=6),
        max_leaves=40,
    )


VALUES = _values(st.text())
PLAIN_VALUES = _values(st.text(st.characters(blacklist_characters="[]{},")))


def _real_depth(value: Any) -> int:
    children = (value.values() if isinstance(value, dict) else
                value if isinstance(value, list) else None)
    return 1 if children is None else 1 + max(map(_real_depth, children), default=0)


def _real_count(value: Any) -> int:
    stack, count = [value], 0
    while stack:
        item = stack.pop()
        count += 1
        stack.extend(item.values() if isinstance(item, dict) else
                     item if isinstance(item, list) else ())
    return count


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@given(VALUES, st.booleans())
def test_counter_never_counts_short(value: Any, spaced: bool):
    text = json.dumps(value, indent=1 if spaced else None)
    assert count_json_elements(text, 10**9) >= _real_count(value)


@given(PLAIN_VALUES)
def test_counter_is_exact_for_compact_json(value: Any):
    assert count_json_elements(_compact(value), 10**9) == _real_count(value)


@given(VALUES, st.integers(1, 40), st.integers(1, 8))
def test_parse_returns_the_value_or_declines_with_a_note(value: Any, elements: int, depth: int):
    text = json.dumps(value)
    request = InboundRequest("POST", "/pb/h", "", [("Content-Type", "application/json")],
                             text.encode(), None, "2024-01-01T00:00:00Z", len(text), "h")
    record = build_record(request, decoded_limit=1 << 20,
                          parse_limits=ParseLimits(1 << 20, elements, depth))
    if record.json_text is None:
        assert record.body_note is not None and record.body_note.startswith("not parsed: ")
        if "deeper" in record.body_note:
            assert _real_depth(value) > depth
        else:
            assert count_json_elements(text, elements) > elements
    else:
        assert record.body_note is None and _real_depth(value) <= depth
        assert json.loads(record.json_text) == json.loads(text)
