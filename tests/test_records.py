"""The store hands out records: a capture written from any request reads back as the same
StoredCapture fields, and its view is built from attributes, never column names."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.capture.keys import KEY_ALIASES
from sandbox.capture.record import InboundRequest, build_record
from sandbox.capture.view import capture_view
from sandbox.store import Store
from sandbox.store.captures import CaptureFilter
from sandbox.store.records import KEY_NAMES, Answer, StoredCapture

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-", min_size=1, max_size=10)
values = st.text(max_size=20)
header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.lists(st.tuples(names, values), max_size=5),
       headers=st.lists(st.tuples(names, header_values), max_size=5),
       body=st.binary(max_size=200) | st.dictionaries(names, values, max_size=4).map(
           lambda d: json.dumps(d).encode()),
       status=st.sampled_from([200, 202, 500]))
def test_a_capture_reads_back_as_it_was_written(tmp_path, query, headers, body, status):
    request = InboundRequest("POST", "/pb/net1/x", urlencode(query), headers, body,
                             "127.0.0.1", "2026-12-03T10:00:00.000001Z", len(body), "net1")
    record = build_record(request, decoded_limit=1 << 20)
    store = Store(str(tmp_path / f"records-{status}-{len(body)}.db"))
    try:
        capture_id = store.captures.insert(record, Answer(status, {"X-R": "1"}, None, 0))
        stored = store.captures.get(capture_id)
        assert isinstance(stored, StoredCapture)
        assert (stored.id, stored.channel, stored.method, stored.path) == (
            capture_id, "net1", "POST", "/pb/net1/x")
        assert stored.query_string == record.query_string and stored.query == record.query
        assert stored.headers == [list(pair) for pair in record.headers]
        assert stored.body == body and stored.body_size == len(body)
        assert stored.json_text == record.json_text and stored.lint == record.lint
        assert stored.keys == {name: record.keys.get(name) for name in KEY_NAMES}
        assert (stored.response_status, stored.response_headers) == (status, {"X-R": "1"})
        view = capture_view(stored)
        assert view["id"] == capture_id and view["query"] == record.query
        assert view["response"]["body"] == f'{{"ok": true, "id": {capture_id}}}'
        newest = store.captures.page(CaptureFilter(), limit=1)[0]
        assert newest == stored
    finally:
        store.close()


def test_every_key_column_has_its_aliases_in_order():
    assert tuple(KEY_ALIASES) == KEY_NAMES


def test_a_missing_capture_is_none(tmp_path):
    store = Store(str(tmp_path / "records.db"))
    try:
        assert store.captures.get(1) is None and store.captures.get(-1) is None
    finally:
        store.close()
