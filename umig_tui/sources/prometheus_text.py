"""The application's own Prometheus text (``admin/metrics/prometheus``, seed 000 §8.1)."""

from __future__ import annotations

import math

from prometheus_client.parser import text_string_to_metric_families

from umig_tui.metrics import BY_PROMETHEUS_NAME
from umig_tui.models import Metrics, MetricSample, MetricsSnapshot
from umig_tui.sources.errors import ParseError
from umig_tui.util.sanitize import clean_text

MAX_SAMPLES = 5000


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
        for family in text_string_to_metric_families(body):
            for sample in family.samples:
                value = float(sample.value)
                name = clean_text(sample.name, 100)
                labels = tuple(
                    sorted(
                        (clean_text(k, 60), clean_text(str(v), 100))
                        for k, v in sample.labels.items()
                    )
                )
                if len(samples) < MAX_SAMPLES:
                    samples.append(MetricSample(name, labels, value))
                if name == "umig_version_info":
                    label_map = dict(labels)
                    version = label_map.get("version") or version
                    build = label_map.get("build") or build
                field = BY_PROMETHEUS_NAME.get(name)
                if field and math.isfinite(value) and not labels:
                    known[field] = value
    except (ValueError, TypeError, IndexError, KeyError, OverflowError) as exc:
        raise ParseError(f"malformed Prometheus text: {clean_text(str(exc), 100)}") from None
    if not samples:
        raise ParseError("metrics body holds no samples")
    return MetricsSnapshot(tuple(samples), Metrics(**known), version, build)
