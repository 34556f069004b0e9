"""The rank tests, checked against scipy's results and by exhaustive enumeration."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from umig_tui.analysis.mannwhitney import (
    exceedance_greater,
    finite,
    holm,
    mann_whitney_greater,
)

stats = pytest.importorskip("scipy.stats", reason="scipy is a test extra: pip install '.[test]'")


def _samples(rng: random.Random, kind: str, n: int, shift: float) -> list[float]:
    if kind == "normal":
        return [rng.gauss(100.0 * shift, 15.0) for _ in range(n)]
    if kind == "lognormal":
        return [rng.lognormvariate(math.log(100.0 * shift), 0.4) for _ in range(n)]
    # rounded to whole milliseconds / error counts: many ties
    return [float(round(rng.gauss(10.0 * shift, 2.0))) for _ in range(n)]


@pytest.mark.parametrize("kind", ["normal", "lognormal", "ties"])
@pytest.mark.parametrize(("n_after", "n_before"), [(8, 8), (20, 120), (30, 30), (97, 13)])
@pytest.mark.parametrize("shift", [1.0, 1.1, 1.3])
def test_mann_whitney_matches_scipy(kind: str, n_after: int, n_before: int, shift: float) -> None:
    rng = random.Random(f"{kind}:{n_after}:{n_before}:{shift}")
    after = _samples(rng, kind, n_after, shift)
    before = _samples(rng, kind, n_before, 1.0)
    ours = mann_whitney_greater(after, before)
    theirs = stats.mannwhitneyu(after, before, alternative="greater", method="asymptotic")
    assert ours.statistic == pytest.approx(theirs.statistic, abs=1e-9)
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-9, abs=1e-12)


def test_mann_whitney_every_value_equal_is_no_evidence() -> None:
    assert mann_whitney_greater([0.0] * 30, [0.0] * 30).p_value == 1.0


def test_mann_whitney_needs_both_samples() -> None:
    with pytest.raises(ValueError, match="both samples"):
        mann_whitney_greater([], [1.0])


def test_nan_and_infinity_are_no_samples() -> None:
    assert finite([1.0, float("nan"), float("inf"), -float("inf"), 2.0]) == [1.0, 2.0]


@pytest.mark.parametrize(("m", "n", "q"), [(6, 4, 0.8), (5, 5, 0.5), (7, 3, 0.95), (4, 6, 0.75)])
def test_exceedance_p_value_is_exact_by_enumerating_every_arrangement(
    m: int, n: int, q: float
) -> None:
    # Under "same distribution" every assignment of the ranks 1..m+n to before/after is equally
    # likely: the share of assignments with at least as many exceedances is the exact p-value.
    ranks = [float(r) for r in range(m + n)]
    counts: list[float] = []
    for combo in itertools.combinations(ranks, n):
        before = [r for r in ranks if r not in combo]
        counts.append(exceedance_greater(list(combo), before, q).statistic)
    for combo in itertools.combinations(ranks, n):
        before = [r for r in ranks if r not in combo]
        result = exceedance_greater(list(combo), before, q)
        expected = sum(1 for k in counts if k >= result.statistic) / len(counts)
        assert result.p_value == pytest.approx(expected, rel=1e-12)
    assert min(counts) == 0
    assert max(counts) >= 1  # some arrangements do exceed


def test_exceedance_sees_a_tail_the_median_does_not_show() -> None:
    rng = random.Random(4)
    before = [rng.gauss(100, 10) for _ in range(200)]
    after = [rng.gauss(100, 10) for _ in range(54)] + [rng.gauss(300, 10) for _ in range(6)]
    assert mann_whitney_greater(after, before).p_value > 0.05  # the middle did not move
    assert exceedance_greater(after, before, 0.99).p_value < 0.001  # the P99 did


def test_holm_matches_the_textbook_example() -> None:
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
