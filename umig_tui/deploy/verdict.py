"""The deploy verdict: pass, fail or inconclusive — never a pass on no data.

Per metric, the post-deploy window against a baseline: a one-sided rank test that the new
version is worse by more than the tolerance (Mann-Whitney U for the level, the exceedance test
for P95 / P99, each against the baseline moved by the tolerance), Holm-adjusted across the
metrics so the chance of failing a good version stays under 1 - confidence, and the measured
effect beyond the tolerance too (a significant +2 % is not a regression). Too few samples on either side, no
traffic, every probe failed, or no baseline at all: inconclusive, with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
from msgspec.structs import replace

from umig_tui.analysis.mannwhitney import exceedance_greater, finite, holm, mann_whitney_greater
from umig_tui.analysis.stats import WindowStats, mean, relative_change
from umig_tui.deploy.verdict_record import MetricResult, is_ratio

# Error rates are small: +100 % of 0.1 % is noise. A change under half a percentage point is
# never a regression, whatever the test says.
ERROR_FLOOR = 0.005


class VerdictSettings(msgspec.Struct, frozen=True):
    """``[deploy]``: min_samples per side, confidence of "worse", tolerance (relative effect)."""

    min_samples: int = 20
    confidence: float = 0.95
    tolerance: float = 0.10
    error_rate: float = 0.05  # the absolute limit ([thresholds] error_rate)


class Reference(msgspec.Struct, frozen=True):
    """What the new version is compared with, labelled: never the new version itself."""

    label: str  # "1.1.2 on production, the hour before the deploy"
    response: tuple[float, ...] = ()
    errors: tuple[float, ...] = ()
    window: tuple[float, float] | None = None
    # Health checks, 1.0 answered healthy, 0.0 not: a version losing one check in three is
    # worse even when no three fail in a row.
    availability: tuple[float, ...] = ()


class Judgement(msgspec.Struct, frozen=True):
    verdict: str  # pass | fail | inconclusive
    reason: str
    detail: tuple[MetricResult, ...]


def traffic(values: Sequence[float]) -> list[float]:
    """Response times that measured something: finite and above zero (an application with no
    requests reports 0 ms, or NaN for 0/0)."""
    return [v for v in finite(values) if v > 0]


def judge(
    response: Sequence[float],
    errors: Sequence[float],
    references: Sequence[Reference],
    settings: VerdictSettings,
    *,
    window: tuple[float, float],
    probes: int = 0,
    failed_probes: int = 0,
    availability: Sequence[float] = (),
) -> Judgement:
    """The verdict of the post-deploy window against the first usable reference (the others are
    shown for context, each labelled, and do not decide)."""
    post_response = traffic(response)
    post_errors = finite(errors)
    post_available = finite(availability)
    if probes and failed_probes >= probes:
        return Judgement("inconclusive", f"every metrics probe failed ({probes} of {probes})", ())
    if not references:
        return Judgement(
            "inconclusive", "no baseline: nothing known of the version before this one", ()
        )
    primary = next(
        (r for r in references if len(traffic(r.response)) >= settings.min_samples),
        references[0],
    )
    detail = list(_metrics(post_response, post_errors, primary, settings, window, post_available))
    if finite(response) and not post_response:
        reason = f"no traffic after the deploy: response time 0 or missing in all {len(finite(response))} checks"
        return Judgement("inconclusive", reason, tuple(detail))
    for other in references:
        if other is not primary:
            detail.extend(
                replace(m, role="context")
                for m in _metrics(
                    post_response, post_errors, other, settings, window, post_available
                )
                if m.metric in ("response avg", "error rate")
            )
    deciding = [m for m in detail if m.role == "decides"]
    failed = [m for m in deciding if m.outcome == "fail"]
    if failed:
        return Judgement(
            "fail",
            "worse than " + primary.label + ": " + "; ".join(_why(m) for m in failed),
            tuple(detail),
        )
    unsure = [m for m in deciding if m.outcome == "inconclusive"]
    if unsure:
        whys = sorted({m.why for m in unsure})
        return Judgement("inconclusive", "; ".join(whys), tuple(detail))
    return Judgement("pass", f"no worse than {primary.label}", tuple(detail))


def _why(m: MetricResult) -> str:
    if m.test == "limit":
        return f"{m.metric} {_fmt(m.metric, m.value)} above {m.threshold.removeprefix('≤ ')}"
    change = f" ({m.effect:+.0%})" if m.effect is not None and "error" not in m.metric else ""
    p = f", p={m.p_value:.3g}" if m.p_value is not None else ""
    return f"{m.metric} {_fmt(m.metric, m.value)} vs {_fmt(m.metric, m.baseline)}{change}{p}"


def _fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2%}" if is_ratio(metric) else f"{value:.0f}ms"


def _metrics(
    post_response: list[float],
    post_errors: list[float],
    ref: Reference,
    settings: VerdictSettings,
    window: tuple[float, float],
    post_available: list[float] | None = None,
) -> list[MetricResult]:
    base_response = traffic(ref.response)
    base_errors = finite(ref.errors)
    # Availability is tested as unavailability (share of checks not answered healthy): "worse"
    # is then "greater", as for every other row.
    post_down = [1.0 - v for v in post_available or []]
    base_down = [1.0 - v for v in finite(ref.availability)]
    alpha = 1.0 - settings.confidence
    tol = settings.tolerance
    now = WindowStats.of(post_response)
    before = WindowStats.of(base_response)
    rows: list[tuple[str, list[float], list[float], float | None, float | None, str]] = [
        ("response avg", post_response, base_response, now.avg, before.avg, "mann-whitney-u"),
        ("response P95", post_response, base_response, now.p95, before.p95, "exceedance"),
        ("response P99", post_response, base_response, now.p99, before.p99, "exceedance"),
        (
            "error rate",
            post_errors,
            base_errors,
            mean(post_errors),
            mean(base_errors),
            "mann-whitney-u",
        ),
        (
            "unavailability",
            post_down,
            base_down,
            mean(post_down),
            mean(base_down),
            "mann-whitney-u",
        ),
    ]
    results: list[MetricResult] = []
    p_values: list[float] = []
    tested: list[int] = []
    for metric, post, base, value, baseline, test in rows:
        if not post and not base:
            continue  # not a signal this environment reports (the shipped API has no error rate)
        if metric == "unavailability" and len(base) < settings.min_samples:
            # Health checks before the deploy too few (an older store kept no poll outcomes, or
            # the reference is a stored summary): the health gate alone stands for availability.
            continue
        is_error = metric in ("error rate", "unavailability")
        if is_error:
            effect = None if value is None or baseline is None else value - baseline
            threshold = f"≤ +{max(tol * (baseline or 0.0), ERROR_FLOOR):.2%} points"
        else:
            effect = relative_change(value, baseline)
            threshold = f"≤ {tol:+.0%}"
        threshold += f" at {settings.confidence:.0%} confidence"
        row = MetricResult(
            metric,
            "inconclusive",
            value=value,
            baseline=baseline,
            baseline_label=ref.label,
            threshold=threshold,
            test=test,
            effect=effect,
            n_post=len(post),
            n_base=len(base),
            window=window,
            baseline_window=ref.window,
        )
        if len(post) < settings.min_samples:
            why = f"too few samples after the deploy: {len(post)} < {settings.min_samples}"
            results.append(replace(row, why=why))
            continue
        if len(base) < settings.min_samples:
            why = f"too few baseline samples ({ref.label}): {len(base)} < {settings.min_samples}"
            results.append(replace(row, why=why))
            continue
        # Tested against the baseline moved by the tolerance: "worse by more than 10 %" is the
        # hypothesis, so noise around an equal version is almost never significant.
        if metric == "unavailability":
            # 0/1 per check: a shifted baseline would rank every answered check below it.
            # Tested as it is; the effect must still exceed the margin to fail (below).
            moved = list(base)
        elif is_error:
            margin = max(tol * (baseline or 0.0), ERROR_FLOOR)
            moved = [v + margin for v in base]
        else:
            moved = [v * (1.0 + tol) for v in base]
        if test == "mann-whitney-u":
            p = mann_whitney_greater(post, moved).p_value
        else:
            p = exceedance_greater(post, moved, 0.95 if metric.endswith("P95") else 0.99).p_value
        p_values.append(p)
        tested.append(len(results))
        results.append(row)
    for index, p_adjusted in zip(tested, holm(p_values), strict=True):
        row = results[index]
        is_error = row.metric in ("error rate", "unavailability")
        limit = max(tol * (row.baseline or 0.0), ERROR_FLOOR) if is_error else tol
        worse = p_adjusted < alpha and row.effect is not None and row.effect > limit
        results[index] = replace(row, p_value=p_adjusted, outcome="fail" if worse else "pass")
    # The absolute limit holds whatever the baseline did: 6 % errors fail even after 5.5 %.
    errors_now = mean(post_errors)
    limit_row = MetricResult(
        "error rate limit",
        "inconclusive",
        value=errors_now,
        threshold=f"≤ {settings.error_rate:.1%}",
        test="limit",
        n_post=len(post_errors),
        window=window,
    )
    if not post_errors and not base_errors:
        return results
    if len(post_errors) < settings.min_samples:
        limit_row = replace(
            limit_row,
            why=f"too few samples after the deploy: {len(post_errors)} < {settings.min_samples}",
        )
    else:
        assert errors_now is not None
        limit_row = replace(
            limit_row, outcome="fail" if errors_now > settings.error_rate else "pass"
        )
    results.append(limit_row)
    return results
