"""Hypothesis against the receiver: any method, path, headers, query, body or encoding gets
an answer below 500 and exactly one stored capture."""

from __future__ import annotations

import gzip
import zlib
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from sandbox.remote.process import RunningServer

TOKEN_CHARS = st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="?#")
METHODS = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) | st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=10)
SEGMENT = st.text(alphabet=TOKEN_CHARS, min_size=1, max_size=20).map(
    lambda s: quote(s, safe="/:@!$&'()*+,;=-._~"))
PATHS = st.one_of(
    st.builds(lambda c, rest: f"/pb/{c}{rest}", st.from_regex(r"[A-Za-z0-9._-]{1,64}",
              fullmatch=True) | SEGMENT, st.lists(SEGMENT, max_size=3).map(
              lambda parts: "".join("/" + p for p in parts))),
    st.lists(SEGMENT, min_size=1, max_size=4).map(lambda parts: "/x" + "".join(
        "/" + p for p in parts)),
)
QUERY = st.lists(st.tuples(st.text(max_size=12), st.text(max_size=40)), max_size=6).map(
    lambda pairs: "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs))
HEADER_NAME = st.from_regex(r"X-[A-Za-z0-9-]{1,20}", fullmatch=True)
HEADER_VALUE = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126),
                       max_size=60).map(str.strip)  # surrounding blanks are not legal on the wire
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=10,
)


@st.composite
def bodies(draw: Any) -> tuple[bytes, dict[str, str]]:
    import json
    kind = draw(st.sampled_from(["bytes", "json", "form", "gzip", "deflate", "bad-gzip",
                                 "br", "text"]))
    headers: dict[str, str] = {}
    if kind == "json":
        headers["Content-Type"] = draw(st.sampled_from(["application/json", "text/json", ""]))
        return json.dumps(draw(JSONISH)).encode(), headers
    if kind == "form":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return draw(QUERY).encode(), headers
    raw = draw(st.binary(max_size=300))
    if kind == "gzip":
        return gzip.compress(raw), {"Content-Encoding": "gzip"}
    if kind == "deflate":
        return zlib.compress(raw), {"Content-Encoding": "deflate"}
    if kind in ("bad-gzip", "br"):
        return raw, {"Content-Encoding": "gzip" if kind == "bad-gzip" else "br"}
    if kind == "text":
        return draw(st.text(max_size=200)).encode("utf-8"), {"Content-Type": "text/plain"}
    return raw, {}


REQUESTS = st.fixed_dictionaries({
    "method": METHODS, "path": PATHS, "query": QUERY, "body": bodies(),
    "headers": st.dictionaries(HEADER_NAME, HEADER_VALUE, max_size=6),
})


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
          deadline=None)
@given(request=REQUESTS)
def test_receiver_answers_below_500_and_stores_one_capture(client: Client, request):
    before = client.get("/api/health").json["postbacks"]
    body, body_headers = request["body"]
    url = request["path"] + (f"?{request['query']}" if request["query"] else "")
    answer = client.open(url, method=request["method"], data=body,
                         headers={**request["headers"], **body_headers})
    assert answer.status_code < 500, answer.data
    assert client.get("/api/health").json["postbacks"] == before + 1


@pytest.mark.slow
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(request=REQUESTS)
def test_live_receiver_answers_below_500_and_stores_one_capture(server: RunningServer, request):
    before = httpx.get(f"{server.url}/api/health").json()["postbacks"]
    body, body_headers = request["body"]
    method = request["method"]
    url = f"{server.url}{request['path']}" + (f"?{request['query']}" if request["query"] else "")
    answer = httpx.request(method, url, content=body,
                           headers={**request["headers"], **body_headers}, timeout=10)
    assert answer.status_code < 500, answer.text
    assert httpx.get(f"{server.url}/api/health").json()["postbacks"] == before + 1
