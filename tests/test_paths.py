"""The one table of the sandbox's own URL space: own routes, guarded ones, and captures."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sandbox.web.paths import OPEN_PATHS, PREFIXES, is_guarded, is_own_route

segments = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.%", max_size=12)
paths = st.lists(segments, max_size=4).map(lambda parts: "/" + "/".join(parts))


@given(paths)
def test_a_guarded_path_is_always_an_own_route(path):
    assert not is_guarded(path) or is_own_route(path)


@given(st.lists(segments, max_size=4))
def test_every_postback_path_is_a_capture(parts):
    assert not is_own_route("/pb/" + "/".join(parts))


@given(st.sampled_from(PREFIXES), st.lists(segments, max_size=3))
def test_a_prefix_owns_its_subtree_and_not_its_lookalikes(prefix, parts):
    below = "/".join([prefix.path, *parts])
    assert is_own_route(below)
    assert is_guarded(below) == (prefix.guarded and below not in OPEN_PATHS)
    assert not is_own_route(prefix.path + "x" + "/".join(parts))


def test_the_table_as_served():
    assert is_own_route("/") and is_own_route("")
    assert [p.path for p in PREFIXES if p.guarded] == ["/api", "/ui"]
    assert not is_guarded("/api/ping") and not is_guarded("/ui/login")
    assert is_guarded("/api/postbacks") and not is_guarded("/c/abc")
