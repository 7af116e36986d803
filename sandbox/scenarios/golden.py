"""Golden runs: what a scenario sends, kept in a file, and a readable diff against it.

``run SCENARIO --seed N --record golden.ndjson`` keeps every postback as the run renders and
signs it, one JSON line each (the ``run --dry-run`` shape, signed); ``--compare golden.ndjson``
renders again and reports, postback by postback, what changed: parameter by parameter for
URLs and form bodies, path by path for JSON bodies, name by name for headers. This is how a
template change is tested in CI: same seed, same postbacks, except what changed on purpose.

Some values change by nature between two renders of the same seed: signatures, signing
timestamps, nonces. Names in ``DEFAULT_IGNORE`` (compared case-insensitively, as a query or
form parameter, a header or a JSON key at any depth) are not compared; ``--ignore NAME``
adds more.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sandbox.errors import SandboxError

DEFAULT_IGNORE: tuple[str, ...] = (
    "webhook-signature", "webhook-timestamp",  # Standard Webhooks: signed per attempt
    "x-signature", "signature", "sig", "hmac",  # HMAC profiles' usual names
    "nonce", "x-nonce",
    "attribution-signature",  # SKAN: ECDSA signatures differ on every signing
    "x-sandbox-chaos",
)
KEPT = ("seq", "id", "kind", "network", "event_name", "method", "url", "headers", "body")


class GoldenError(SandboxError):
    code = "bad_golden"


@dataclass(frozen=True)
class Change:
    where: str  # "query.revenue", "header.X-Token", "json $.event.revenue", "method", "path"
    before: Any
    after: Any

    def text(self) -> str:
        if self.before is _ABSENT:
            return f"  {self.where}: added {_show(self.after)}"
        if self.after is _ABSENT:
            return f"  {self.where}: removed (was {_show(self.before)})"
        return f"  {self.where}: {_show(self.before)} -> {_show(self.after)}"


@dataclass(frozen=True)
class PostbackDiff:
    seq: int
    label: str  # "install to fakenet", "event af_purchase to fakenet"
    changes: list[Change] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not self.changes

    def text(self) -> str:
        return "\n".join([f"postback {self.seq} ({self.label}):",
                          *(change.text() for change in self.changes)])


class _Absent:
    def __repr__(self) -> str:
        return "absent"


_ABSENT: Any = _Absent()


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)


def golden_line(postback: Mapping[str, Any]) -> dict[str, Any]:
    """What a golden file keeps of one postback (the dry-run shape, as signed)."""
    return {key: postback.get(key) for key in KEPT}


def read_golden(lines: Iterable[str], source: str) -> list[dict[str, Any]]:
    """The postbacks of a golden file; GoldenError naming the line that is not one."""
    postbacks = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldenError(f"{source}:{number}: not a JSON line ({exc.msg})") from None
        missing = [key for key in ("seq", "method", "url") if key not in item] \
            if isinstance(item, dict) else ["seq"]
        if missing:
            raise GoldenError(f"{source}:{number}: expected a postback with seq, method and "
                              f"url (missing {', '.join(missing)})")
        postbacks.append(item)
    return postbacks


def compare(golden: Sequence[Mapping[str, Any]], fresh: Sequence[Mapping[str, Any]],
            ignore: Iterable[str] = DEFAULT_IGNORE) -> list[PostbackDiff]:
    """Each postback of ``fresh`` against the golden one of the same seq; a postback only
    one side has is a diff of its own."""
    skip = {name.lower() for name in ignore}
    before = {int(p["seq"]): p for p in golden}
    after = {int(p["seq"]): p for p in fresh}
    diffs = []
    for seq in sorted(before.keys() | after.keys()):
        old, new = before.get(seq), after.get(seq)
        label = _label(new if new is not None else old)  # type: ignore[arg-type]
        if old is None:
            diffs.append(PostbackDiff(seq, label, [Change("postback", _ABSENT, "sent now")]))
        elif new is None:
            diffs.append(PostbackDiff(seq, label, [Change("postback", "in the golden file",
                                                          _ABSENT)]))
        else:
            diffs.append(PostbackDiff(seq, label, postback_changes(old, new, skip)))
    return diffs


def _label(postback: Mapping[str, Any]) -> str:
    kind = postback.get("kind") or "postback"
    name = f" {postback['event_name']}" if postback.get("event_name") else ""
    network = f" to {postback['network']}" if postback.get("network") else ""
    return f"{kind}{name}{network}"


def postback_changes(old: Mapping[str, Any], new: Mapping[str, Any], skip: set[str]
                     ) -> list[Change]:
    changes = []
    if old.get("method") != new.get("method"):
        changes.append(Change("method", old.get("method"), new.get("method")))
    old_url, new_url = urlsplit(str(old["url"])), urlsplit(str(new["url"]))
    for part in ("scheme", "netloc", "path"):
        if getattr(old_url, part) != getattr(new_url, part):
            changes.append(Change(part, getattr(old_url, part), getattr(new_url, part)))
    changes += _pairs("query", parse_qsl(old_url.query, keep_blank_values=True),
                      parse_qsl(new_url.query, keep_blank_values=True), skip)
    changes += _pairs("header", _header_items(old.get("headers")),
                      _header_items(new.get("headers")), skip, fold_case=True)
    changes += _body_changes(old.get("body"), new.get("body"), old.get("headers"), skip)
    return changes


def _header_items(headers: Any) -> list[tuple[str, str]]:
    if isinstance(headers, Mapping):
        return [(str(k), str(v)) for k, v in headers.items()]
    return [(str(k), str(v)) for k, v in headers or ()]


def _pairs(kind: str, old: list[tuple[str, str]], new: list[tuple[str, str]], skip: set[str],
           *, fold_case: bool = False) -> list[Change]:
    """Name by name (a repeated name compares as its list of values), in first-seen order."""
    def grouped(items: list[tuple[str, str]]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name, value in items:
            out.setdefault(name.lower() if fold_case else name, []).append(value)
        return out

    before, after = grouped(old), grouped(new)
    changes = []
    for name in [*before, *(n for n in after if n not in before)]:
        if name.lower() in skip:
            continue
        was, now = before.get(name, _ABSENT), after.get(name, _ABSENT)
        if was != now:
            changes.append(Change(f"{kind}.{name}", _one(was), _one(now)))
    return changes


def _one(values: Any) -> Any:
    return values[0] if isinstance(values, list) and len(values) == 1 else values


def _body_changes(old: Any, new: Any, headers: Any, skip: set[str]) -> list[Change]:
    if old == new:
        return []
    old_json, new_json = _as_json(old), _as_json(new)
    if old_json is not _ABSENT and new_json is not _ABSENT:
        return _json_changes("json $", old_json, new_json, skip)
    content_type = dict((k.lower(), v) for k, v in _header_items(headers)).get("content-type", "")
    if "x-www-form-urlencoded" in content_type and old is not None and new is not None:
        return _pairs("form", parse_qsl(old, keep_blank_values=True),
                      parse_qsl(new, keep_blank_values=True), skip)
    return [Change("body", old if old is not None else _ABSENT,
                   new if new is not None else _ABSENT)]


def _as_json(text: Any) -> Any:
    if not isinstance(text, str):
        return _ABSENT
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return _ABSENT


def _json_changes(path: str, old: Any, new: Any, skip: set[str]) -> list[Change]:
    if isinstance(old, dict) and isinstance(new, dict):
        changes = []
        for key in [*old, *(k for k in new if k not in old)]:
            if str(key).lower() in skip:
                continue
            changes += _json_changes(f"{path}.{key}", old.get(key, _ABSENT),
                                     new.get(key, _ABSENT), skip)
        return changes
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        changes = []
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            changes += _json_changes(f"{path}[{index}]", a, b, skip)
        return changes
    if old != new or type(old) is not type(new):
        return [Change(path, old, new)]
    return []


def report(diffs: Sequence[PostbackDiff]) -> str:
    changed = [diff for diff in diffs if not diff.same]
    lines = [diff.text() for diff in changed]
    lines.append(f"{len(changed)} of {len(diffs)} postbacks differ" if changed
                 else f"same: {len(diffs)} postbacks")
    return "\n".join(lines)


def junit_cases(diffs: Sequence[PostbackDiff]) -> list[dict[str, Any]]:
    """One JUnit case per postback (``query/junit.py`` shape)."""
    return [{"name": f"postback {diff.seq} ({diff.label})", "ok": diff.same,
             "message": f"{len(diff.changes)} change(s)", "details": diff.text(), "waited": 0}
            for diff in diffs]
