"""Loading YAML/JSON documents with line numbers, and schema problems as file:line: path."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.docfile import format_path, load_document, read_document
from sandbox.errors import ConfigError, DocumentError

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string"},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "mode": {"enum": ["flag", "enforce"]},
        "items": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "properties": {"url": {"type": "string"}, "share": {"type": "number"}},
        }},
    },
}


def write(tmp_path: Path, text: str, name: str = "doc.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(DocumentError) as caught:
        load_document(path, SCHEMA)
    return caught.value.problems


def test_valid_document_returns_plain_data(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\nport: 8377\nitems:\n  - url: http://a\n")
    assert load_document(path, SCHEMA) == {"name": "x", "port": 8377,
                                           "items": [{"url": "http://a"}]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: x\nport: high\n", ":2: port: expected an integer, got \"high\""),
        ("name: x\nport: 0\n", ":2: port: expected a number at least 1, got 0"),
        ("name: x\nmode: enforse\n", ":2: mode: expected one of flag, enforce; got \"enforse\" "
                                     "(did you mean 'enforce'?)"),
        ("name: x\nprot: 1\n", ":2: prot: unknown field (did you mean 'port'?)"),
        ("port: 1\n", ":1: missing required field 'name'"),
        ("name: x\nitems:\n  - url: a\n  - url: 5\n", ":4: items[1].url: expected a string, got 5"),
        ("name: x\nitems:\n  - url: a\n\n    share: lots\n",
         ":5: items[0].share: expected a number, got \"lots\""),
    ],
)
def test_schema_problem_names_line_path_and_expectation(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path, text)
    problems = problems_of(path)
    assert problems == [f"{path}{expected}"]


def test_every_problem_is_reported_in_line_order(tmp_path: Path) -> None:
    path = write(tmp_path, "name: 1\nport: x\nmode: y\n")
    lines = [p.split(":")[1] for p in problems_of(path)]
    assert lines == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("name: x\nitems:\n  - url: [unclosed\nport: 1\n", 3),  # the [ that is not closed
        ("a: {b: 1\nc: 2\n", 1),
        ("x: 1\na: {b: 1,\n  c: 2\nd: 3\n", 2),
        ('name: "abc\nport: 2\n', 1),  # the quote that is not closed
        ("name: x\nfoo\nport: 1\n", 2),  # a key without its colon
        ("name: 1\nport: 2\n mode: 3\n", 3),  # bad indentation: the line itself
        ("- a\nname: 1\n", 2),
    ],
)
def test_yaml_syntax_error_names_the_line_to_fix(tmp_path: Path, text: str, line: int) -> None:
    path = write(tmp_path, text)
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:{line}: YAML syntax error")


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\nport: 1\nport: 2\n")
    assert problems_of(path) == [f"{path}:3: port: duplicate key"]


def test_json_documents_keep_lines(tmp_path: Path) -> None:
    path = write(tmp_path, '{\n  "name": "x",\n  "port": "no"\n}\n', "doc.json")
    assert problems_of(path) == [f'{path}:3: port: expected an integer, got "no"']


def test_json_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = write(tmp_path, '{\n  "name": "x",\n  "port": \n}\n', "doc.json")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:4: JSON syntax error")


def test_error_class_is_chosen_by_the_caller(tmp_path: Path) -> None:
    class BadConfig(ConfigError, DocumentError):
        pass

    with pytest.raises(BadConfig):
        load_document(write(tmp_path, "port: 1\n"), SCHEMA, error_cls=BadConfig)


def test_missing_file_is_a_document_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="cannot read"):
        load_document(tmp_path / "absent.yaml", SCHEMA)


def test_line_of_falls_back_to_the_nearest_ancestor(tmp_path: Path) -> None:
    doc = read_document(write(tmp_path, "name: x\nitems:\n  - url: a\n"))
    assert doc.line_of(("items", 0, "url")) == 3
    assert doc.line_of(("items", 0, "nope", "deeper")) == 3
    assert doc.line_of(("nothing",)) == 1


def test_yaml_dates_arrive_as_iso_text(tmp_path: Path) -> None:
    doc = read_document(write(tmp_path, "start: 2026-01-05\n"))
    assert doc.data == {"start": "2026-01-05"}


@pytest.mark.parametrize(
    ("path", "text"),
    [(("networks", 0, "url"), "networks[0].url"), ((), ""),
     (("events", "my event"), 'events["my event"]'), (("a-b", "c_d"), "a-b.c_d")],
)
def test_format_path(path: tuple[str | int, ...], text: str) -> None:
    assert format_path(path) == text


@given(st.text(max_size=200))
def test_any_text_loads_or_raises_document_error(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            load_document(path, SCHEMA)
        except DocumentError as exc:
            assert exc.problems and all(p.startswith(str(path)) for p in exc.problems)


def test_yaml_on_yes_no_off_stay_strings_and_true_false_are_booleans(tmp_path):
    from sandbox.docfile import load_document

    path = tmp_path / "words.yaml"
    path.write_text("on: deliveries\nyes: no\noff: on\nflag: true\nother: False\n")
    assert load_document(path, {"type": "object"}) == {
        "on": "deliveries", "yes": "no", "off": "on", "flag": True, "other": False}
