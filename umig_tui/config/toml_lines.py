"""Line numbers for TOML keys: tomllib parses without positions, errors need file:line."""

from __future__ import annotations

import re


class KeyLocator:
    """Maps key paths (``("environments", 2, "url")``) to the line that wrote them."""

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
    _KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=""")
    _INLINE_KEY = re.compile(r"""[{,]\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=""")

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple[str | int, ...], int] = {}
        table: tuple[str | int, ...] = ()
        counts: dict[tuple[str | int, ...], int] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            header = self._HEADER.match(line)
            path: tuple[str | int, ...]
            if header:
                path = tuple(_split_key(header.group(2)))
                if header.group(1) == "[[":
                    index = counts.get(path, 0)
                    counts[path] = index + 1
                    table = (*path, index)
                else:
                    table = path
                self.lines.setdefault(table, number)
                continue
            key = self._KEY.match(line)
            if key:
                path = (*table, *_split_key(key.group(1)))
                self.lines.setdefault(path, number)
                for inner in self._INLINE_KEY.finditer(line):
                    self.lines.setdefault((*path, *_split_key(inner.group(1))), number)

    def line(self, path: tuple[str | int, ...]) -> int | None:
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None


def _split_key(key: str) -> list[str]:
    parts = re.findall(r'"[^"]*"|\'[^\']*\'|[^.\s]+', key)
    return [p.strip("\"'") for p in parts]
