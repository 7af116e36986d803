"""The fast rendering path: hand-built NDJSON lines, batched id draws and cheaper encoders
must give exactly what the plain, obvious code gives (same bytes for the same seed)."""

from __future__ import annotations

import io
import json
import math
import random
from json.encoder import encode_basestring
from urllib.parse import quote

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sandbox.errors import SandboxError
from sandbox.scenarios.activity import _UserEvents
from sandbox.scenarios.generate import URL_READY_MACROS, TrafficGenerator, binomial
from sandbox.scenarios.identities import hex_id
from sandbox.scenarios.macro_catalogue import CATALOGUE, OBJECT_VALUED, MacroContext, _event_value
from sandbox.scenarios.numbered_lines import NumberedLines
from sandbox.scenarios.render import render_run
from sandbox.scenarios.render_jobs import write_run_ndjson
from sandbox.scenarios.url_template import INT_VALUED, URL_READY, UrlTemplate, url_value
from tests.scenario_helpers import build, sample_context

PLAIN = build()
AWKWARD = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)


def plain_lines(scenario: object, seed: int) -> list[str]:
    """``json.dumps`` of each postback's dict: the obvious NDJSON the fast path must equal."""
    return [json.dumps(p.to_dict(), ensure_ascii=False, separators=(",", ":"))
            for p in render_run(scenario, seed)]  # type: ignore[arg-type]


def fast_lines(scenario: object, seed: int, jobs: int = 1) -> list[str]:
    out = io.StringIO()
    write_run_ndjson(scenario, out, seed, jobs=jobs)  # type: ignore[arg-type]
    return out.getvalue().split("\n")[:-1]  # not splitlines: U+0085 and U+2028 stay in


@settings(max_examples=15, deadline=None)
@given(campaign=AWKWARD, param=AWKWARD, header=AWKWARD, seed=st.integers(0, 2**32))
def test_ndjson_lines_equal_json_dumps_for_awkward_values(
    campaign: str, param: str, header: str, seed: int,
) -> None:
    """Quotes, backslashes, unicode and control characters in campaign names, event
    parameters, headers and bodies come out exactly as ``json.dumps`` writes them."""
    try:
        scenario = build(
            users={"funnel": [{"event": "af_level_achieved", "probability": 0.9,
                               "params": {"note": param, "q\"\\": header}}]},
            networks=[{
                "name": "n", "send_events": "all",
                "postbacks": {
                    "install": {"url": "https://x.test/i?c={campaign}&t={install_time}",
                                "headers": {"X-C": "{campaign}", "X-F": header}},
                    "event": {"url": "https://x.test/e?v={event_value}&d={event_datetime}",
                              "method": "POST", "body": {"p": "{event_params}", "h": header}},
                },
                "campaigns": [{"name": campaign, "clicks": 400, "install_rate": 0.05}],
            }])
    except SandboxError:
        assume(False)
        return
    expected = plain_lines(scenario, seed)
    assert expected and any('"kind":"event"' in line for line in expected)
    assert fast_lines(scenario, seed) == expected
    assert [json.loads(line)["campaign"] for line in expected[:1]] == [campaign]


def test_batched_ids_are_the_single_draw_stream() -> None:
    """One draw of 96 * n bits holds n successive 96-bit draws, the first lowest."""
    batched, single = random.Random("s"), random.Random("s")
    for count in (1, 2, 5, 17):
        hexed = f"{batched.getrandbits(96 * count):0{24 * count}x}"
        ids = [hexed[24 * (count - 1 - k): 24 * (count - k)] for k in range(count)]
        assert ids == [f"{single.getrandbits(96):024x}" for _ in range(count)]


def test_two_render_jobs_write_what_one_does() -> None:
    scenario = build(networks=[{
        "name": "n", "send_events": "all",
        "postbacks": {"install": "https://x.test/i?c={campaign}",
                      "event": "https://x.test/e?e={event_name}&t={event_time}"},
        "campaigns": [{"name": "a", "clicks": 1500}, {"name": "b", "clicks": 1500}],
    }])
    single = fast_lines(scenario, 5)
    assert len(single) > 50
    assert fast_lines(scenario, 5, jobs=2) == single == plain_lines(scenario, 5)


@pytest.mark.parametrize("name", sorted(URL_READY))
@given(moment=st.floats(min_value=0, max_value=4e9), with_touch=st.booleans())
def test_url_ready_macros_equal_url_value_of_the_value(
    name: str, moment: float, with_touch: bool,
) -> None:
    ctx = sample_context(PLAIN)
    assert ctx.event is not None and ctx.install.touch is not None
    ctx.install.time = ctx.event.time = ctx.install.touch.time = moment
    if not with_touch:
        ctx.install.touch = None
    value = CATALOGUE[name].get(ctx)
    assert URL_READY[name](ctx) == url_value(value) == quote(value or "", safe="-._~")


def test_url_ready_macros_are_empty_without_their_record() -> None:
    ctx = sample_context(PLAIN, with_event=False)
    ctx.install.touch = None
    assert URL_READY["event_datetime"](ctx) == URL_READY["click_time"](ctx) == ""


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | AWKWARD,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(AWKWARD, inner, max_size=3),
    max_leaves=8,
)


@given(st.dictionaries(AWKWARD, json_values, min_size=1, max_size=4))
def test_event_value_is_compact_json(params: dict[str, object]) -> None:
    ctx = sample_context(PLAIN)
    assert ctx.event is not None
    ctx.event.params = params
    assert _event_value(ctx) == json.dumps(params, separators=(",", ":"), ensure_ascii=False)


@pytest.mark.parametrize("digits", [1, 16, 20, 24, 32])
def test_hex_ids_are_zero_padded_lower_hex(digits: int) -> None:
    fast, plain = random.Random(digits), random.Random(digits)
    for _ in range(50):
        assert hex_id(fast, digits) == f"{plain.getrandbits(digits * 4):0{digits}x}"


def reference_binomial(rng: random.Random, trials: int, rate: float) -> int:
    """The original loop over geometric gaps (sandbox.scenarios.distributions.geometric_gap)."""
    def gap() -> int:
        return 0 if rate >= 1.0 else int(math.log(1.0 - rng.random()) / math.log(1.0 - rate))
    if trials <= 0 or rate <= 0:
        return 0
    count, position = 0, gap()
    while position < trials:
        count += 1
        position += 1 + gap()
    return count


@given(st.integers(0, 2**32), st.integers(-1, 5000),
       st.sampled_from([-0.1, 0.0, 1.0, 1.2]) | st.floats(1e-9, 1.0))
def test_binomial_draws_as_the_gap_loop_did(seed: int, trials: int, rate: float) -> None:
    fast, plain = random.Random(seed), random.Random(seed)
    assert binomial(fast, trials, rate) == reference_binomial(plain, trials, rate)
    assert fast.random() == plain.random()  # and leaves the stream in the same place


@pytest.mark.parametrize("query", ["{android_id}", "{android_id}&{idfv}", "a={idfa}&{android_id}"])
@pytest.mark.parametrize("drop_empty", [False, True])
def test_a_bare_name_that_renders_empty_is_still_a_pair(query: str, drop_empty: bool) -> None:
    """``?{android_id}`` on iOS is ``?`` plus an empty pair, bound or not (was dropped)."""
    template = UrlTemplate.compile(f"https://x.test/p?{query}#f")
    ctx = sample_context(PLAIN)
    expected = template.render(ctx, drop_empty=drop_empty)
    assert "?" in expected
    assert template.binder(drop_empty=drop_empty)(ctx)(ctx) == expected
    assert template.renderer(drop_empty=drop_empty)(ctx) == expected


@pytest.mark.parametrize("sessions", [[5.0], [5.0, 6.0], [5.0, 7.0, 99.0, 8.0, 150.0]])
def test_skipped_session_events_move_the_stream_as_built_ones_do(sessions: list[float]) -> None:
    built, skipped = random.Random(9), random.Random(9)
    everything = _UserEvents(built, 100.0, None, ("a b",))
    everything.add_sessions("af_app_opened", sessions)
    nothing = _UserEvents(skipped, 100.0, (), ("a b",))
    nothing.add_sessions("af_app_opened", sessions)
    assert built.random() == skipped.random()
    inside = [e for e in everything.events if e.time < 100.0]
    assert nothing.skipped == len(inside) and not nothing.events


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(st.text(), st.integers(), st.floats(allow_nan=False), st.booleans(),
                       st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2)))
def test_url_values_never_need_json_escaping(value: object) -> None:
    """Why a URL made of escape-free literals goes into the line between bare quotes."""
    text = url_value(value)
    assert encode_basestring(text) == f'"{text}"'


@pytest.mark.parametrize("path", ['/a"b', "/a\\b", "/a\tb", "/ü", "/plain"])
@pytest.mark.parametrize("drop_empty", [False, True])
def test_urls_with_awkward_literals_are_json_escaped_in_lines(path: str, drop_empty: bool) -> None:
    scenario = build(networks=[{
        "name": "n", "send_events": "all", "drop_empty": drop_empty,
        "postbacks": {
            "install": {"url": f"https://x.test{path}?c={{campaign}}&t={{install_unix}}"},
            "event": {"url": f"https://x.test{path}?e={{event_name}}&at={{created_at}}"},
        },
        "campaigns": [{"name": "c", "clicks": 300, "install_rate": 0.05}],
    }])
    expected = plain_lines(scenario, 3)
    assert any('"kind":"event"' in line for line in expected)
    assert fast_lines(scenario, 3) == expected
    assert json.loads(expected[0])["url"].startswith(f"https://x.test{path}?")


@pytest.mark.parametrize("name", sorted(INT_VALUED))
@pytest.mark.parametrize("with_event", [False, True])
def test_int_valued_macros_are_ints_or_none(name: str, with_event: bool) -> None:
    ctx = sample_context(PLAIN, with_event=with_event)
    assert type(CATALOGUE[name].get(ctx)) is int
    ctx.install.touch = None
    assert type(CATALOGUE[name].get(ctx)) in (int, type(None))


VARIED = build(
    users={"countries": {"US": 3, "DE": 2, "BR": 1, "JP": 1}, "platforms": {"ios": 1, "android": 1},
           "att": {"authorized": 0.6, "denied": 0.4}, "gaid_zeroed": 0.3,
           "funnel": [{"event": "af_level_achieved", "probability": 0.8, "repeat": 0.5}],
           "purchases": {"payer_share": 0.5}},
    attribution={"competing_touch_share": 0.3},
    networks=[{"name": "n", "send_events": "all",
               "postbacks": {"install": "https://x.test/i", "event": "https://x.test/e"},
               "campaigns": [{"name": "a", "clicks": 3000, "install_rate": 0.05}]}],
)
ALL_READY = "https://x.test/p/{country}?" + "&".join(
    f"{name}={{{name}}}" for name in sorted(URL_READY_MACROS))


def generated_contexts(scenario: object, seed: int) -> list[MacroContext]:
    """A context per generated install and per event of it, as the renderer builds them."""
    contexts = []
    for journey in TrafficGenerator(scenario, seed).journeys():  # type: ignore[arg-type]
        install, network = journey.install, scenario.networks[0]  # type: ignore[attr-defined]
        campaign = network.campaigns[0]
        for event in (None, *journey.events[:3]):
            contexts.append(MacroContext("install" if event is None else "event", install,
                                         event, scenario.app, network,  # type: ignore[attr-defined]
                                         campaign, "pb_0"))
    return contexts


@pytest.mark.parametrize("seed", [1, 8])
def test_generated_url_ready_values_need_no_encoding(seed: int) -> None:
    """What ``URL_READY_MACROS`` promises of generated traffic, for every value made."""
    contexts = generated_contexts(VARIED, seed)
    assert len(contexts) > 200
    seen: dict[str, set[str]] = {name: set() for name in URL_READY_MACROS}
    for ctx in contexts:
        for name in URL_READY_MACROS:
            value = CATALOGUE[name].get(ctx)
            assert value is None or (type(value) is str and url_value(value) == value), name
            if value:
                seen[name].add(value)
    assert all(seen.values())  # each macro had values to check


@pytest.mark.parametrize("drop_empty", [False, True])
def test_urls_with_ready_values_equal_the_plain_render(drop_empty: bool) -> None:
    template = UrlTemplate.compile(ALL_READY + "&c={campaign}&e={event_name}")
    render = template.renderer(drop_empty=drop_empty, ready=URL_READY_MACROS)
    bind = template.binder(drop_empty=drop_empty, ready=URL_READY_MACROS)
    for ctx in generated_contexts(VARIED, 4):
        expected = template.render(ctx, drop_empty=drop_empty)
        assert render(ctx) == expected
        assert bind(ctx)(ctx) == expected


def test_ready_values_are_taken_as_they_are() -> None:
    """The promise is the caller's: a ready value that needs encoding is not encoded."""
    template = UrlTemplate.compile("https://x.test/?c={click_id}")
    ctx = sample_context(PLAIN)
    assert ctx.install.touch is not None
    ctx.install.touch.touch_id = "a b"
    assert template.renderer()(ctx).endswith("c=a%20b")
    assert template.renderer(ready=frozenset({"click_id"}))(ctx).endswith("c=a b")


@pytest.mark.parametrize("sizes", [[1], [3, 0, 2], [700, 700], [1500, 1, 30]])
def test_numbered_lines_are_numbered_one_by_one(sizes: list[int]) -> None:
    """Bulk numbering writes what numbering each line with its own 96-bit draw writes."""
    batches = [[f'"n":{size},"k":{k},"u":"%d%s%%"}}' for k in range(size)] for size in sizes]
    out = io.StringIO()
    numbered = NumberedLines(out, 7)
    for batch in batches:
        numbered.add(batch)
    numbered.close()
    ids = random.Random("7:postback-ids")
    tails = [tail for batch in batches for tail in batch]
    expected = "".join(f'{{"seq":{seq},"id":"pb_{ids.getrandbits(96):024x}",{tail}\n'
                       for seq, tail in enumerate(tails, 1))
    assert out.getvalue() == expected
    assert numbered.seq == len(tails)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
@pytest.mark.parametrize("with_event", [False, True])
def test_only_object_valued_macros_have_unhashable_values(name: str, with_event: bool) -> None:
    """Compiled URLs look values up in url_value's cache, which needs them hashable."""
    value = CATALOGUE[name].get(sample_context(PLAIN, with_event=with_event))
    if name in OBJECT_VALUED:
        assert value is None or isinstance(value, dict | list)
    else:
        hash(value)
