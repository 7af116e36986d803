"""Attribution: which touch, if any, an install is credited to (docs/scenarios.md, Attribution).

Last touch wins: the most recent click at or before the install and within its click
lookback. Impressions count only when no click is eligible and view-through is on, within
their own (shorter) window. No eligible touch means organic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sandbox.scenarios.journey import Touch


@dataclass(frozen=True, slots=True)
class Attribution:
    touch: Touch | None
    reason: str  # "click" | "view_through" | "organic"

    @property
    def organic(self) -> bool:
        return self.touch is None


def eligible(touch: Touch, install_time: float) -> bool:
    """The touch happened before the install and the install falls inside its lookback."""
    age = install_time - touch.time
    return 0.0 <= age <= touch.lookback


def attribute(
    install_time: float, touches: Sequence[Touch], *, view_through: bool = False
) -> Attribution:
    """Pick the winning touch for an install at ``install_time``."""
    best_click: Touch | None = None
    best_view: Touch | None = None
    for touch in touches:
        if not eligible(touch, install_time):
            continue
        if touch.kind == "click":
            if best_click is None or touch.time >= best_click.time:
                best_click = touch
        elif view_through and (best_view is None or touch.time >= best_view.time):
            best_view = touch
    if best_click is not None:
        return Attribution(best_click, "click")
    if best_view is not None:
        return Attribution(best_view, "view_through")
    return Attribution(None, "organic")
