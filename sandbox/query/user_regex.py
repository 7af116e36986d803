"""Regular expressions written by users (the ``regex`` operator, ``field~regex``), run on RE2.

A pattern from a request or a scenario file must not be able to stall a worker: Python's ``re``
backtracks (``(a+)+$`` doubles its work with each character of the value). RE2
(``google-re2``) matches in time linear in the text and the pattern, and releases the GIL while
it does, so captures answered by the same worker go on meanwhile. Fixed patterns of our own stay
on ``re``.

Semantics, kept as close to Python's ``re.search`` as RE2 allows:

- Patterns and values are Unicode: ``.`` and classes take whole characters, ``(?i)`` folds case
  the Unicode way. ``\\d``, ``\\w``, ``\\s`` and ``\\b`` are ASCII, as with Python's ``re.ASCII``
  (write ``\\p{Nd}``, ``\\pL`` for Unicode digits and letters).
- ``$`` also matches before a final newline, as in Python; ``\\Z`` is the end of the text (RE2
  spells it ``\\z``, which is accepted too); ``\\uXXXX`` and ``\\UXXXXXXXX`` name characters.
- Refused with a 400 naming the construct: backreferences, lookahead and lookbehind, atomic
  groups, possessive quantifiers, conditionals, ``(?x)`` and ``(?#...)``; and a pattern whose
  compiled program would need more than ``REGEX_MAX_MEM`` bytes.

Compiled patterns are not kept on the objects that hold a pattern: each search looks its pattern
up in google-re2's own LRU cache (128 entries), so however many patterns arrive, a worker keeps at
most 128 × ``REGEX_MAX_MEM`` of compiled regexes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import re2

from sandbox.errors import SandboxError

__all__ = [
    "MAX_PATTERN_LENGTH",
    "MAX_REGEX_INPUT",
    "REGEX_MAX_MEM",
    "UserRegex",
    "compile_user_regex",
]

MAX_PATTERN_LENGTH = 1000  # characters
MAX_REGEX_INPUT = 64 * 1024  # characters of a value that a pattern reads
REGEX_MAX_MEM = 1 << 20  # bytes one compiled pattern may use (program and DFA cache)


def _options() -> Any:
    options = re2.Options()
    options.max_mem = REGEX_MAX_MEM
    options.log_errors = False  # a refused pattern is the user's 400, not a line on stderr
    return options


_OPTIONS = _options()


@dataclass(frozen=True)
class UserRegex:
    """A pattern RE2 accepted. ``source`` is what the user wrote, ``pattern`` what RE2 runs."""

    source: str
    pattern: str

    def search(self, text: str) -> bool:
        """Whether the pattern is found in the first ``MAX_REGEX_INPUT`` characters of text."""
        # Lone surrogates (JSON allows "\ud800") pass through as bytes no character matches.
        data = text[:MAX_REGEX_INPUT].encode("utf-8", "surrogatepass")
        compiled = re2.compile(self.pattern, _OPTIONS)
        if compiled.search(data) is not None:
            return True
        # Python's $ also matches before a final newline; RE2's only at the very end. Looking
        # again without that newline gives Python's answer (a \z would then match too early).
        return (
            data.endswith(b"\n")
            and "$" in self.pattern
            and "\\z" not in self.pattern
            and compiled.search(data[:-1]) is not None
        )


def compile_user_regex(source: object, *, field: str) -> UserRegex:
    """Check a user's pattern; a SandboxError (400, ``bad_assertion``) naming ``field`` and the
    construct RE2 refuses when it cannot run."""
    if not isinstance(source, str) or len(source) > MAX_PATTERN_LENGTH:
        raise _refused(field, f"'regex' needs a pattern of at most {MAX_PATTERN_LENGTH} characters")
    pattern = _python_escapes(source)
    try:
        re2.compile(pattern, _OPTIONS)
    except re2.error as error:
        raise _refused(field, f"invalid regex {_shown(source)}: {_why(error)}") from None
    return UserRegex(source, pattern)


def _refused(field: str, message: str) -> SandboxError:
    return SandboxError(f"{field}: {message}", code="bad_assertion", status=400, field=field)


def _shown(source: str) -> str:
    return repr(source if len(source) <= 80 else source[:77] + "...")


def _python_escapes(source: str) -> str:
    """Python's spellings RE2 writes otherwise: \\Z -> \\z, \\uXXXX and \\UXXXXXXXX -> \\x{...}."""
    out, index = [], 0
    while index < len(source):
        char = source[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        pair = source[index : index + 2]
        width = {"\\u": 4, "\\U": 8}.get(pair, 0)
        digits = source[index + 2 : index + 2 + width]
        if width and len(digits) == width and all(c in "0123456789abcdefABCDEF" for c in digits):
            out.append(f"\\x{{{digits}}}")
            index += 2 + width
            continue
        out.append("\\z" if pair == "\\Z" else pair)
        index += 2
    return "".join(out)


_CONSTRUCTS = (  # (start of RE2's complaint, what the user wrote)
    ("invalid perl operator: (?=", "lookahead (?=...)"),
    ("invalid perl operator: (?!", "negative lookahead (?!...)"),
    ("invalid perl operator: (?<=", "lookbehind (?<=...)"),
    ("invalid perl operator: (?<!", "negative lookbehind (?<!...)"),
    ("invalid perl operator: (?>", "atomic group (?>...)"),
    ("invalid perl operator: (?(", "conditional (?(...)...)"),
    ("invalid perl operator: (?#", "comment (?#...)"),
    ("invalid perl operator: (?P", "named backreference (?P=name)"),
    ("bad repetition operator: ", "possessive or doubled quantifier"),
    ("invalid repetition size", "repetition count above 1000"),
)
_WHY = "is not supported: patterns run on RE2, which matches in linear time"


def _why(error: Exception) -> str:
    raw = error.args[0] if error.args else ""
    message = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    if message.startswith("invalid escape sequence: \\") and message[-1:].isdigit():
        return f"backreference {message.rsplit(' ', 1)[-1]} {_WHY}"
    if message.startswith("pattern too large"):
        return f"it compiles to more than {REGEX_MAX_MEM >> 20} MiB; write a smaller pattern"
    for start, construct in _CONSTRUCTS:
        if message.startswith(start):
            return f"{construct} {_WHY} ({message})"
    return message
