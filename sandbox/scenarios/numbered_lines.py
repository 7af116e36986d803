"""The front of each ``run --dry-run`` line: its seq and postback id, put before what a
renderer wrote (``Renderer.journey_lines(numbered=False)``), many lines at a time.

Numbering apart from rendering lets the lines be rendered anywhere (``render_jobs`` renders
them in other processes) and numbered where they are written, in order; the ids come from
the run's one id stream, so the bytes are those of numbering each line as it is rendered.
"""

from __future__ import annotations

import random
from typing import IO, Any

from sandbox.scenarios.macros import Compiled, MacroRef
from sandbox.scenarios.model import Scenario

_LINE = '{"seq":%d,"id":"pb_%s",%s\n'  # a whole line: seq, id, then what was rendered
_LINES_PER_WRITE = 1024  # lines per write, and per draw of ids


class NumberedLines:
    """Writes line tails to ``out`` as numbered lines; ``close`` writes what is pending.

    The lines go out of one ``%`` format per write: building each line in a Python loop
    cost about a microsecond per postback, a good share of what merging jobs costs.
    """

    def __init__(self, out: IO[str], seed: int) -> None:
        self.out = out
        self.ids = random.Random(f"{seed}:postback-ids")
        self.seq = 0  # the last seq written
        self.tails: list[str] = []

    def add(self, tails: list[str]) -> None:
        self.tails += tails
        if len(self.tails) >= _LINES_PER_WRITE:
            self.close()

    def close(self) -> None:
        tails = self.tails
        count = len(tails)
        if not count:
            return
        # one draw of 96 * count bits is the same stream as count draws of 96 bits, the
        # first the lowest: the ids are read from the end of the hex
        hexed = "%0*x" % (24 * count, self.ids.getrandbits(96 * count))  # noqa: UP031
        fields: list[object] = [None] * (3 * count)
        fields[0::3] = range(self.seq + 1, self.seq + count + 1)
        fields[1::3] = [hexed[end - 24:end] for end in range(24 * count, 0, -24)]
        fields[2::3] = tails
        self.out.write((_LINE * count) % tuple(fields))
        self.seq += count
        tails.clear()


def uses_postback_id(scenario: Scenario) -> bool:
    """Whether a template renders ``{postback_id}``: its lines must then be numbered as
    they are rendered, where the id is known."""
    templates = [t for n in scenario.networks for t in (n.install, n.event, *n.events.values())
                 if t is not None]
    return any(_mentions(part, "postback_id") for t in templates
               for part in (t.url.whole, *(h.compiled for _, h in t.headers),
                            t.body.compiled if t.body is not None else None))


def _mentions(compiled: Any, name: str) -> bool:
    if isinstance(compiled, Compiled):
        return any(isinstance(p, MacroRef) and p.name == name for p in compiled.parts)
    if isinstance(compiled, dict):
        return any(_mentions(item, name) for item in compiled.values())
    if isinstance(compiled, list | tuple):
        return any(_mentions(item, name) for item in compiled)
    return False
