"""The application's Prometheus text (seed 000 §8.1): samples, known fields, clear refusals."""

from __future__ import annotations

import pytest

from umig_tui.models import Metrics, MetricSample
from umig_tui.sources.parse import ParseError
from umig_tui.sources.prometheus_text import MAX_SAMPLES, parse_exposition

# generatePrometheusMetrics() joins bare lines: no HELP, no TYPE, no trailing newline.
SEED_LINES = "\n".join(
    [
        'umig_version_info{version="1.2.0",build="20240925.143055"} 1',
        "umig_uptime_seconds 459900",
        "umig_health_status 1",
        "umig_database_schema_version 031",
        'umig_api_version_info{version="v2.3.1"} 1',
        "umig_ui_components_loaded 25",
        "umig_api_response_time_ms 180",
        "umig_api_error_rate 0.02",
        "umig_active_users 42",
    ]
)


def test_seed_lines_become_samples_in_order() -> None:
    snapshot = parse_exposition(SEED_LINES)
    assert [s.name for s in snapshot.samples] == [
        "umig_version_info",
        "umig_uptime_seconds",
        "umig_health_status",
        "umig_database_schema_version",
        "umig_api_version_info",
        "umig_ui_components_loaded",
        "umig_api_response_time_ms",
        "umig_api_error_rate",
        "umig_active_users",
    ]
    assert snapshot.samples[0] == MetricSample(
        "umig_version_info", (("build", "20240925.143055"), ("version", "1.2.0")), 1.0
    )
    assert snapshot.samples[3].value == 31.0  # the schema id with its leading zero dropped
    assert snapshot.samples[4].labels == (("version", "v2.3.1"),)


def test_seed_lines_fill_the_known_metrics_fields() -> None:
    assert parse_exposition(SEED_LINES).metrics == Metrics(
        response_time_ms=180.0,
        error_rate=0.02,
        active_users=42.0,
        uptime_seconds=459900.0,
        components_loaded=25.0,
    )


def test_version_and_build_come_from_umig_version_info_labels() -> None:
    snapshot = parse_exposition(SEED_LINES)
    assert (snapshot.version, snapshot.build) == ("1.2.0", "20240925.143055")


def test_api_version_info_is_not_mistaken_for_the_application_version() -> None:
    snapshot = parse_exposition('umig_api_version_info{version="v2.3.1"} 1\n')
    assert (snapshot.version, snapshot.build) == (None, None)


def test_help_and_type_lines_are_accepted_too() -> None:
    body = (
        "# HELP umig_active_users Active users\n"
        "# TYPE umig_active_users gauge\n"
        "umig_active_users 7\n"
        "# TYPE umig_api_error_rate gauge\n"
        "umig_api_error_rate 0.5\n"
    )
    assert parse_exposition(body).metrics == Metrics(active_users=7.0, error_rate=0.5)


def test_labelled_samples_of_known_names_do_not_fill_fields() -> None:
    # A per-environment series (seed 001's pushgateway export) is not this environment's value.
    body = 'umig_active_users{environment="uat"} 9\numig_active_users{environment="production"} 3\n'
    snapshot = parse_exposition(body)
    assert snapshot.metrics.active_users is None
    assert len(snapshot.samples) == 2


def test_non_finite_values_are_samples_but_not_fields() -> None:
    snapshot = parse_exposition("umig_api_response_time_ms NaN\numig_active_users +Inf\n")
    assert snapshot.metrics == Metrics()
    assert len(snapshot.samples) == 2


def test_escape_sequences_in_labels_are_cleaned() -> None:
    body = 'umig_version_info{version="\x1b[31m1.2.0\x1b[0m",build="\x1b]0;x\x07b7"} 1\n'
    snapshot = parse_exposition(body)
    assert (snapshot.version, snapshot.build) == ("1.2.0", "b7")


def test_sample_count_is_capped_but_parsing_continues() -> None:
    lines = [f'umig_x{{i="{i}"}} 1' for i in range(MAX_SAMPLES + 10)]
    snapshot = parse_exposition("\n".join([*lines, "umig_active_users 5"]))
    assert len(snapshot.samples) == MAX_SAMPLES
    assert snapshot.metrics.active_users == 5.0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("", "empty metrics body"),
        ("  \n", "empty metrics body"),
        ('{"umig": {"status": "healthy"}}', "expected Prometheus text format, got JSON"),
        ("[1, 2]", "expected Prometheus text format, got JSON"),
        ("<!DOCTYPE html><title>Log in</title>", "expected Prometheus text format, got HTML"),
        ("  <html>", "expected Prometheus text format, got HTML"),
        ("# only a comment\n", "metrics body holds no samples"),
    ],
)
def test_not_prometheus_text_is_a_parse_error_with_a_reason(body: str, reason: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_exposition(body)
    assert info.value.reason == reason


@pytest.mark.parametrize(
    "body",
    [
        "hello world",
        "garbage",
        "umig_active_users 42\nthis is not a metric line",
        'umig_version_info{version="1.2.0" 1',
        "umig_active_users 1" + "0" * 400,
    ],
    ids=["words", "one-word", "trailing-garbage", "unclosed-labels", "huge-integer"],
)
def test_garbage_is_malformed_prometheus_text(body: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_exposition(body)
    assert info.value.reason.startswith("malformed Prometheus text: ")
