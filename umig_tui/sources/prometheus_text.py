"""The application's own Prometheus text (``admin/metrics/prometheus``, seed 000 §8.1).

Read by a lean line parser: the same family rules as ``prometheus_client.parser`` (a counter's
samples take ``_total``, HELP/TYPE lines open families), but each line read with ``str``
methods. A line it is not sure of (quotes in a comment, escapes or odd spacing in labels, a
value without a separator) hands the whole body to prometheus_client, the reference the tests
compare with, which then decides: the result is the reference's, only cheaper when the text is
plain. prometheus_client (~50 ms of imports) loads only then.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

from umig_tui.metrics import BY_PROMETHEUS_NAME
from umig_tui.models import Metrics, MetricSample, MetricsSnapshot
from umig_tui.sources.errors import ParseError
from umig_tui.util.sanitize import clean_text

MAX_SAMPLES = 5000

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
# Plain labels only: unquoted legacy names (none reserved), values without quotes, escapes or
# braces, comma separated, one trailing comma allowed; anything else is the reference's to read.
_LABEL = r'[a-zA-Z][a-zA-Z0-9_]*="[^"\\{}]*"|_[a-zA-Z0-9][a-zA-Z0-9_]*="[^"\\{}]*"'
_PLAIN_LABELS = re.compile(rf"(?:(?:{_LABEL}),)*(?:{_LABEL})?")
_PAIRS = re.compile(r'([a-zA-Z0-9_]+)="([^"]*)"')
_WHITESPACE = frozenset(" \t\n\r\x0b\x0c")  # string.whitespace, as the reference splits on
_ALLOWED_SUFFIXES = {
    "counter": ("",),
    "gauge": ("",),
    "summary": ("_count", "_sum", ""),
    "histogram": ("_count", "_sum", "_bucket"),
}

Sample = tuple[str, dict[str, str], float | int]


class _Unsure(Exception):
    """A line the lean parser does not read exactly as the reference would."""


def parse_exposition(body: str) -> MetricsSnapshot:
    """Samples from Prometheus exposition text; raises ParseError when it is not that format."""
    if not body.strip():
        raise ParseError("empty metrics body")
    if body.lstrip().startswith(("{", "[", "<")):
        raise ParseError(
            "expected Prometheus text format, got "
            + ("HTML" if body.lstrip().startswith("<") else "JSON")
        )
    samples: list[MetricSample] = []
    known: dict[str, float] = {}  # Metrics field (= metric name) → value
    version = build = None
    try:
        try:
            parsed = list(lean_samples(body))
        except _Unsure:
            parsed = list(reference_samples(body))
        for raw_name, raw_labels, raw_value in parsed:
            value = float(raw_value)
            name = clean_text(raw_name, 100)
            labels = (
                tuple(
                    sorted(
                        (clean_text(k, 60), clean_text(str(v), 100)) for k, v in raw_labels.items()
                    )
                )
                if raw_labels
                else ()
            )
            if len(samples) < MAX_SAMPLES:
                samples.append(MetricSample(name, labels, value))
            if name == "umig_version_info":
                label_map = dict(labels)
                version = label_map.get("version") or version
                build = label_map.get("build") or build
            field = BY_PROMETHEUS_NAME.get(name)
            if field and not labels and math.isfinite(value):
                known[field] = value
    except (ValueError, TypeError, IndexError, KeyError, OverflowError) as exc:
        raise ParseError(f"malformed Prometheus text: {clean_text(str(exc), 100)}") from None
    if not samples:
        raise ParseError("metrics body holds no samples")
    return MetricsSnapshot(tuple(samples), Metrics(**known), version, build)


def reference_samples(body: str) -> Iterator[Sample]:
    """Every sample as prometheus_client reads it: (name, labels, value) in the body's order."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            yield sample.name, sample.labels, sample.value


def lean_samples(body: str) -> Iterator[Sample]:
    """The same samples as :func:`reference_samples`; raises _Unsure on a line it cannot read
    exactly as the reference does (errors included: the reference gives those)."""
    name = ""
    typ = "untyped"
    family: list[Sample] = []
    allowed: tuple[str, ...] = ()
    # The reference reads the text through io.StringIO: lines end at "\n" only.
    for raw in body.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if line[0] == "#":
            parts = _comment_parts(line)
            if len(parts) < 2:
                continue
            candidate = ""
            if len(parts) > 2:
                if parts[1] != "TYPE" and parts[1] != "HELP":
                    continue
                candidate = parts[2]
                if "\\" in candidate or _NAME.fullmatch(candidate) is None:
                    raise _Unsure
            if parts[1] == "HELP":
                if candidate != name:
                    if name:
                        yield from _family(name, typ, family)
                    name, typ, family, allowed = candidate, "untyped", [], (candidate,)
            elif parts[1] == "TYPE":
                if len(parts) < 4:
                    raise _Unsure
                if candidate != name:
                    if name:
                        yield from _family(name, typ, family)
                    name, family = candidate, []
                typ = parts[3]
                allowed = tuple(name + s for s in _ALLOWED_SUFFIXES.get(typ, ("",)))
            continue
        sample = _sample(line)
        if sample[0] in allowed:
            family.append(sample)
            continue
        if name:
            yield from _family(name, typ, family)
        name, typ, family, allowed = "", "untyped", [], ()
        yield sample
    if name:
        yield from _family(name, typ, family)


def _family(name: str, typ: str, samples: list[Sample]) -> list[Sample]:
    # The reference names a counter's samples as OpenMetrics does: with _total.
    if typ == "counter" and not name.endswith("_total"):
        return [(s[0] + "_total", s[1], s[2]) for s in samples]
    return samples


def _comment_parts(line: str) -> list[str]:
    """The reference's split of a comment on whitespace into at most four parts."""
    if '"' in line:
        raise _Unsure
    tokens = [""]
    x, end = 0, len(line)
    while x < end:
        split = next((i for i in range(x, end) if line[i] in _WHITESPACE), -1)
        if split == -1:
            tokens[-1] = line[x:]
            break
        if split == x:  # a run of whitespace
            x += 1
            continue
        if len(tokens) > 3:
            tokens[-1] = line[x:]
            break
        tokens[-1] = line[x:split]
        x = split + 1
        tokens.append("")
    return tokens


def _sample(line: str) -> Sample:
    brace = line.find("{")
    if brace == -1:
        if '"' in line:
            raise _Unsure
        cut = _first_blank(line)
        name, rest, labels = line[:cut], line[cut + 1 :], {}
    else:
        name = line[:brace].strip()
        close = line.find("}", brace)
        inner = line[brace + 1 : close]
        if (
            not name
            or close == -1
            or '"' in name
            or " # " in line[:brace]
            or _PLAIN_LABELS.fullmatch(inner) is None
        ):
            raise _Unsure
        labels = dict(_PAIRS.findall(inner))
        if len(labels) != inner.count("="):
            raise _Unsure  # a label named twice: the reference refuses it
        rest = line[close + 1 :]
    if _NAME.fullmatch(name) is None:
        raise _Unsure
    return name, labels, _value(rest)


def _first_blank(line: str) -> int:
    space, tab = line.find(" "), line.find("\t")
    if space == -1 or (tab != -1 and tab < space):
        space = tab
    if space == -1:
        raise _Unsure
    return space


def _value(rest: str) -> float | int:
    text = rest.lstrip()
    separator = " " if " " in text else "\t"
    values = [v.strip() for v in text.split(separator) if v.strip()]
    if not values:
        raise _Unsure
    value = _number(values[0])
    if len(values) > 1:
        try:  # a timestamp (ms), read as the reference reads it, then not kept
            _number(values[-1]) / 1000
        except OverflowError:
            raise _Unsure from None
    return value


def _number(text: str) -> float | int:
    if "_" in text:
        raise _Unsure
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise _Unsure from None
