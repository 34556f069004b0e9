"""The lean Prometheus reader gives prometheus_client's answer: on the seeds' bodies, on text
prometheus_client itself writes, and on hostile text (where the reference decides)."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Summary
from prometheus_client.exposition import generate_latest

from umig_tui.sources import prometheus_text
from umig_tui.sources.errors import ParseError
from umig_tui.sources.prometheus_text import (
    _Unsure,
    lean_samples,
    parse_exposition,
    reference_samples,
)

BODIES = Path(__file__).resolve().parents[2] / "sample_data" / "bodies"


def reference_outcome(body: str) -> object:
    try:
        return [(n, dict(labels), v) for n, labels, v in reference_samples(body)]
    except Exception as exc:  # the reference's refusal, whatever its type
        return ("refused", type(exc).__name__)


def lean_outcome(body: str) -> object:
    """What the lean reader says; None when it hands the body to the reference."""
    try:
        return [(n, dict(labels), v) for n, labels, v in lean_samples(body)]
    except _Unsure:
        return None


def agrees(body: str) -> bool:
    """The lean answer equals the reference's, or it defers (and the reference answers)."""
    lean = lean_outcome(body)
    if lean is None:
        return True
    reference = reference_outcome(body)
    # nan != nan: compare the text of the values
    return repr(lean) == repr(reference)


def exposition_of(body: str, *, lean: bool) -> object:
    original = prometheus_text.lean_samples
    if not lean:
        prometheus_text.lean_samples = _always_unsure  # type: ignore[assignment]
    try:
        return repr(parse_exposition(body))
    except ParseError:
        return "ParseError"
    finally:
        prometheus_text.lean_samples = original


def _always_unsure(body: str) -> object:
    raise _Unsure


def client_written_text() -> str:
    registry = CollectorRegistry()
    requests = Counter("umig_requests", "Requests", ["path"], registry=registry)
    requests.labels(path="/health").inc(3)
    requests.labels(path='/we"ird\\path\nx').inc()
    Gauge("umig_active_users", "Active\nusers \\ now", registry=registry).set(42)
    Histogram("umig_latency_seconds", "Latency", registry=registry).observe(0.2)
    Summary("umig_payload_bytes", "Payload", ["kind"], registry=registry).labels("a").observe(7)
    return generate_latest(registry).decode()


@pytest.mark.parametrize("path", sorted(BODIES.glob("*.prom")), ids=lambda p: p.name)
def test_seed_bodies_are_read_by_the_lean_reader_exactly_as_the_reference(path: Path) -> None:
    body = path.read_text()
    lean = lean_outcome(body)
    assert lean is not None, "the seeds' plain lines must never need the reference"
    assert repr(lean) == repr(reference_outcome(body))
    assert exposition_of(body, lean=True) == exposition_of(body, lean=False)


def test_text_written_by_prometheus_client_reads_the_same() -> None:
    body = client_written_text()
    assert exposition_of(body, lean=True) == exposition_of(body, lean=False)
    assert agrees(body)


def test_a_counter_without_total_is_named_with_total_as_the_reference_does() -> None:
    body = "# TYPE umig_api_calls counter\numig_api_calls 5\numig_active_users 3\n"
    assert lean_outcome(body) == [
        ("umig_api_calls_total", {}, 5),
        ("umig_active_users", {}, 3),
    ]
    assert agrees(body)


def test_plain_text_does_not_load_prometheus_client(monkeypatch: pytest.MonkeyPatch) -> None:
    # A body the lean reader reads needs no reference: its import (~50 ms) stays off the path.
    monkeypatch.setitem(sys.modules, "prometheus_client.parser", None)
    snapshot = parse_exposition((BODIES / "production-metrics.prom").read_text())
    assert snapshot.version == "1.1.2"


def test_a_line_the_lean_reader_is_unsure_of_goes_to_the_reference() -> None:
    body = 'umig_active_users{env="a\\"b"} 4\n'  # an escaped quote in a label value
    assert lean_outcome(body) is None
    snapshot = parse_exposition(body)
    assert snapshot.samples[0].labels == (("env", 'a"b'),)


HOSTILE = [
    "umig_active_users",  # no value
    "umig_active_users 1_000",  # underscores are refused by the reference
    "umig_active_users 0x10",
    "umig_active_users NaN",
    "umig_active_users +Inf",
    "umig_active_users -Inf 1700000000000",
    "umig_active_users 1 " + "9" * 400,  # a timestamp too big for a float
    "umig_active_users " + "9" * 400,
    "umig_active_users 1e400",
    "umig_active_users\t7",
    "umig_active_users 7\r",
    "umig_active_users  7   8  ",
    'umig_active_users 7 # {trace="x"} 1',
    "umig_active_users{} 7",
    'umig_active_users{a="1",} 7',
    'umig_active_users{,a="1"} 7',
    'umig_active_users{a="1",a="2"} 7',
    'umig_active_users{__name__="x"} 7',
    '{__name__="umig_active_users"} 7',
    'umig_active_users{a="1"}7',
    'umig_active_users{a="}"} 7',
    "umig_active_users{a=1} 7",
    'umig_active_users{a="x=y"} 7',
    'umig_active_users{a="1" 7',
    'umig_active_users{9a="1"} 7',
    'umig_active_users{a:b="1"} 7',
    'umig_active_users{a = "1"} 7',
    'umig_active_users{a="\x1b[31mred"} 7',
    "9umig 7",
    "umig-active 7",
    'umig_active_users{a="1"} 7 # x',
    "# TYPE",
    "# TYPE umig_x",
    "# TYPE umig_x counter",
    "# TYPE umig_x  counter",
    "# TYPE 9bad gauge",
    '# TYPE "quoted" gauge',
    "# HELP",
    "# HELP umig_x",
    "# HELP umig_x doc \\n with \\\\ escapes",
    "# TYPE umig_x histogram",
    'umig_x_bucket{le="+Inf"} 1',
    "umig_x_count 1",
    "umig_x_sum 0.5",
    "umig_x 3",
    "# TYPE umig_y summary",
    "umig_y 2",
    "umig_y_total 2",
    "# random comment here",
    "#",
    "#TYPE umig_z gauge",
    "",
    "   ",
    "\u00a0umig_active_users 7",
    "umig_active_users\u00a07",
    "umig_active_users \u0667",  # an Arabic-Indic digit: int() reads it
    "umig_active_users 7\x0b",
    "umig_active_users\x0c7",
    "umig_active_users 7\u2028umig_uptime_seconds 9",
    "umig_active_users 7\rumig_uptime_seconds 9",
]


@pytest.mark.parametrize("line", HOSTILE)
def test_hostile_lines_alone_agree_with_the_reference(line: str) -> None:
    for body in (line, line + "\n", "umig_uptime_seconds 1\n" + line + "\numig_active_users 2"):
        assert agrees(body), body
        assert exposition_of(body, lean=True) == exposition_of(body, lean=False), body


def test_random_mixes_of_hostile_and_plain_lines_agree_with_the_reference() -> None:
    rng = random.Random(17)
    plain = (BODIES / "uat-metrics.prom").read_text().splitlines()
    pool = HOSTILE + plain + client_written_text().splitlines()
    read_lean = 0
    for _ in range(1500):
        body = "\n".join(rng.choice(pool) for _ in range(rng.randint(1, 12)))
        assert agrees(body), body
        assert exposition_of(body, lean=True) == exposition_of(body, lean=False), body
        read_lean += lean_outcome(body) is not None
    assert read_lean > 100  # the mix exercised the lean reader, not only the fallback
