"""Regenerate the README's inspector screenshot (docs/inspector.png) from the browser tests.

The browser tests (tests/test_inspector_browser.py) save one screenshot per page into
tests/screenshots/. This copies the chosen one to docs/inspector.png; with --run it runs those
tests first so the picture shows the current pages.

Usage: python scripts/readme_screenshot.py [--page postbacks|postback|channels|charts] [--run]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "tests" / "screenshots"
TARGET = ROOT / "docs" / "inspector.png"
PAGES = ("postbacks", "postback", "channels", "charts")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", choices=PAGES, default="postbacks")
    parser.add_argument("--run", action="store_true", help="run the browser tests first")
    args = parser.parse_args()
    if args.run:
        command = [sys.executable, "-m", "pytest", "-q", "tests/test_inspector_browser.py"]
        if subprocess.run(command, cwd=ROOT, check=False).returncode != 0:
            print("error: the browser tests failed; the screenshot was not replaced",
                  file=sys.stderr)
            return 2
    source = SCREENSHOTS / f"{args.page}.png"
    if not source.is_file():
        print(f"error: no {source.relative_to(ROOT)}; run with --run (or run "
              "tests/test_inspector_browser.py) first", file=sys.stderr)
        return 2
    TARGET.parent.mkdir(exist_ok=True)
    shutil.copyfile(source, TARGET)
    print(f"{source.relative_to(ROOT)} -> {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
