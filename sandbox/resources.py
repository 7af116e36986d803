"""Where the bundled static/ and scenarios/ folders are, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _bundled(name: str) -> Path:
    inside = _PACKAGE / "_bundled" / name  # a wheel install
    if inside.is_dir():
        return inside
    return _PACKAGE.parent / name  # a source checkout or an editable install


def static_dir() -> Path:
    return _bundled("static")


def scenarios_dir() -> Path:
    return _bundled("scenarios")


def bundled_scenario(name: str) -> Path:
    """The path of a bundled scenario by short name (``quickstart``) or file name."""
    folder = scenarios_dir()
    for candidate in (folder / name, folder / f"{name}.yaml", folder / f"{name}.yml"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no bundled scenario named {name!r} in {folder}")
