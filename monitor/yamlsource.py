"""Load YAML while remembering the line every value came from, for precise config errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Location = tuple[str | int, ...]


class ConfigError(Exception):
    """A config problem phrased for the operator: file, line, entry, field, expectation."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class YamlDocument:
    """Plain Python data plus the 1-based line of every mapping key and sequence item."""

    path: Path
    data: Any
    lines: dict[Location, int] = field(default_factory=dict)

    def line_of(self, location: Location) -> int:
        """The line of ``location`` or, failing that, of its nearest ancestor."""
        loc = tuple(location)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return 1


def load_yaml(path: Path) -> YamlDocument:
    """Read ``path``; syntax errors and duplicate keys become a ``ConfigError`` with the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read the file: {exc.strerror or exc}"]) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError([f"{path}{line}: invalid YAML: {exc.problem}"]) from exc
    document = YamlDocument(path=path, data=None)
    if node is None:
        return document
    problems: list[str] = []
    document.data = _convert(node, (), document, problems)
    if problems:
        raise ConfigError(problems)
    return document


def _convert(node: yaml.Node, location: Location, doc: YamlDocument, problems: list[str]) -> Any:
    doc.lines.setdefault(location, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            if key in result:
                problems.append(
                    f"{doc.path}:{key_node.start_mark.line + 1}: duplicate key {key!r}"
                    f" (first on line {doc.lines[(*location, key)]})"
                )
                continue
            doc.lines[(*location, key)] = key_node.start_mark.line + 1
            result[key] = _convert(value_node, (*location, key), doc, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            doc.lines[(*location, index)] = item.start_mark.line + 1
            items.append(_convert(item, (*location, index), doc, problems))
        return items
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    constructor = yaml.SafeLoader("")
    return constructor.construct_object(node, deep=True)
