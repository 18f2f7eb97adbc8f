"""Safe YAML loading that remembers where each key and item came from.

PyYAML's safe loader forgets line numbers and lets a duplicate key silently
replace the first; definition errors must name the line, and a stage written
twice is an error, so mappings and lists here keep their positions.
"""

from __future__ import annotations

from typing import Any

import yaml


class YMap(dict[Any, Any]):
    """A mapping with the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]
    duplicates: list[tuple[Any, int]]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class YList(list[Any]):
    """A list with the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> YMap:
    loader.flatten_mapping(node)
    result = YMap()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    result.duplicates = []
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark, "a key must be a plain value", key_node.start_mark
            ) from None
        line = key_node.start_mark.line + 1
        if key in result:
            result.duplicates.append((key, line))
            continue
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> YList:
    result = YList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def load(text: str) -> Any:
    """Parse one YAML document safely, keeping positions. Raises yaml.YAMLError."""
    return yaml.load(text, Loader=_Loader)  # _Loader derives from SafeLoader
