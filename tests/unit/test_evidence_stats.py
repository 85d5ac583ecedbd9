"""Every figure of the bias audit and the validity page on hand-computed data; Fisher's exact
test and Spearman's rho also against scipy (a dev dependency, only the tests import it)."""

import math
import random

import numpy as np
import pytest
from scipy import stats as scipy_stats

from evidence import stats


def test_rate_is_selected_over_n_and_none_for_an_empty_group():
    assert stats.rate(3, 4) == 0.75
    assert stats.rate(0, 0) is None
    with pytest.raises(ValueError, match="selected"):
        stats.rate(5, 4)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], None),
        ([7], 7.0),
        ([3, 1, 2], 2.0),
        ([1, 2, 2, 3], 2.0),  # ties in the middle
        ([1, 2, 3, 4], 2.5),
        ([5, 5, 5, 5], 5.0),
    ],
)
def test_median_with_ties(values, expected):
    assert stats.median(values) == expected


def test_a_score_equal_to_the_median_is_not_above_it():
    scores = [40, 50, 50, 50, 70, 90]
    median = stats.median(scores)
    assert median == 50
    assert stats.count_above(scores, median) == 2


def test_fisher_matches_the_published_lady_tasting_tea():
    # Fisher (1935): 3 of 4 cups right each way; two-sided p = 34/70 = 17/35.
    assert stats.fisher_exact(3, 1, 1, 3) == pytest.approx(17 / 35, rel=1e-12)


@pytest.mark.parametrize(
    "table",
    [
        (3, 5, 6, 4),
        (0, 10, 10, 0),
        (1, 9, 11, 3),
        (12, 5, 2, 20),
        (5, 5, 5, 5),
        (0, 0, 4, 7),
        (40, 160, 90, 110),
        (700, 300, 640, 360),
    ],
)
def test_fisher_matches_scipy(table):
    a, b, c, d = table
    expected = scipy_stats.fisher_exact([[a, b], [c, d]], alternative="two-sided").pvalue
    assert stats.fisher_exact(a, b, c, d) == pytest.approx(expected, rel=1e-9, abs=1e-15)


def test_fisher_stays_fast_and_finite_on_large_counts():
    p = stats.fisher_exact(30_000, 20_000, 29_000, 21_000)
    expected = scipy_stats.fisher_exact([[30_000, 20_000], [29_000, 21_000]]).pvalue
    assert p == pytest.approx(expected, rel=1e-6)


def test_impact_table_on_a_hand_computed_dataset():
    # 100 people in the report: 3 of unknown category, 1 "Asian" (1 % < 2 %: excluded).
    groups = [("Male", 60, 30), ("Female", 32, 12), ("Asian", 1, 1), ("Other", 4, 1)]
    rows = {row.category: row for row in stats.impact_table(groups, total=100)}
    male, female, asian, other = rows["Male"], rows["Female"], rows["Asian"], rows["Other"]
    # The excluded 100 % group is not the reference: Male (0.5) is.
    assert asian.excluded
    assert asian.impact_ratio is None
    assert asian.p_value is None
    assert male.is_reference
    assert male.rate == 0.5
    assert male.impact_ratio == 1.0
    assert male.p_value is None
    assert not male.flagged
    assert female.rate == 0.375
    assert female.impact_ratio == pytest.approx(0.75)
    assert female.flagged  # 0.75 < 0.8
    assert female.p_value == pytest.approx(
        scipy_stats.fisher_exact([[12, 20], [30, 30]]).pvalue, rel=1e-9
    )
    assert other.small
    assert other.rate == 0.25
    assert other.impact_ratio == pytest.approx(0.5)
    assert not female.small
    assert not male.small


def test_impact_table_never_takes_a_small_cell_as_the_reference():
    # "Solo" (1 of 1 selected, rate 1.0) is above 2 % of 40 people but a small cell: the
    # reference is Male (10 / 20 = 0.5), the highest rate among the cells of 5 or more.
    groups = [("Male", 20, 10), ("Female", 19, 8), ("Solo", 1, 1)]
    rows = {row.category: row for row in stats.impact_table(groups, total=40)}
    assert rows["Male"].is_reference
    assert not rows["Solo"].is_reference
    assert rows["Female"].impact_ratio == pytest.approx((8 / 19) / 0.5)  # 0.842: not flagged
    assert not rows["Female"].flagged
    assert rows["Solo"].small
    assert rows["Solo"].impact_ratio == pytest.approx(2.0)
    assert stats.no_ratio_reason(list(rows.values())) == ""


def test_impact_table_without_a_large_enough_category_gives_no_ratios_and_says_why():
    rows = stats.impact_table([("A", 4, 1), ("B", 3, 3)], total=7)
    assert not any(row.is_reference for row in rows)
    assert all(row.impact_ratio is None and row.p_value is None for row in rows)
    assert not any(row.flagged for row in rows)
    assert "at least 5 people" in stats.no_ratio_reason(rows)


def test_impact_table_reference_with_zero_rate_gives_no_ratio():
    rows = stats.impact_table([("A", 10, 0), ("B", 10, 0)], total=20)
    assert all(row.impact_ratio is None and not row.flagged for row in rows)


def test_impact_table_keeps_empty_categories_without_figures():
    rows = stats.impact_table([("A", 10, 5), ("B", 0, 0)], total=10)
    assert rows[1].rate is None
    assert rows[1].impact_ratio is None
    assert not rows[1].excluded


def test_ranks_average_ties():
    assert stats.ranks([10, 20, 20, 30, 20]) == [1.0, 3.0, 3.0, 5.0, 3.0]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_spearman_matches_scipy_with_ties(seed):
    rng = random.Random(seed)
    x = [rng.randint(0, 6) for _ in range(25)]
    y = [value + rng.randint(-3, 3) for value in x]
    expected = scipy_stats.spearmanr(x, y).statistic
    assert stats.spearman(x, y) == pytest.approx(expected, rel=1e-12)


def test_spearman_hand_computed():
    # Ranks of y: [1, 2, 3.5, 5, 3.5]; d = [0, 0, -0.5, -1, 1.5] → Pearson of the ranks.
    x, y = [1, 2, 3, 4, 5], [5, 6, 7, 9, 7]
    rx, ry = [1, 2, 3, 4, 5], [1, 2, 3.5, 5, 3.5]
    mean = 3
    sxy = sum((a - mean) * (b - mean) for a, b in zip(rx, ry, strict=True))
    sxx = sum((a - mean) ** 2 for a in rx)
    syy = sum((b - mean) ** 2 for b in ry)
    assert stats.spearman(x, y) == pytest.approx(sxy / math.sqrt(sxx * syy))
    assert stats.spearman(x, y) == pytest.approx(0.8207826816681233)


def test_spearman_is_undefined_without_variation_or_with_too_few_pairs():
    assert stats.spearman([1, 2, 3], [4, 4, 4]) is None
    assert stats.spearman([1, 2], [1, 2]) is None


def test_partial_spearman_is_the_first_order_partial_of_the_rhos():
    rng = random.Random(7)
    z = [rng.random() for _ in range(40)]
    x = [a + rng.random() for a in z]
    y = [a + rng.random() for a in z]
    r_xy = scipy_stats.spearmanr(x, y).statistic
    r_xz = scipy_stats.spearmanr(x, z).statistic
    r_yz = scipy_stats.spearmanr(y, z).statistic
    expected = (r_xy - r_xz * r_yz) / math.sqrt((1 - r_xz**2) * (1 - r_yz**2))
    assert stats.partial_spearman(x, y, z) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("q", [0.0, 0.025, 0.5, 0.975, 1.0])
def test_quantile_matches_numpy_percentile(q):
    values = sorted([3.0, 1.0, 4.0, 1.5, 9.0, 2.6, 5.0])
    assert stats.quantile(values, q) == pytest.approx(np.percentile(values, q * 100))


def test_bootstrap_with_a_fixed_seed_is_reproducible_and_brackets_the_estimate():
    rng = random.Random(11)
    x = [rng.random() for _ in range(30)]
    y = [a + rng.random() for a in x]
    first = stats.correlation(x, y, resamples=500, seed=42)
    again = stats.correlation(x, y, resamples=500, seed=42)
    other_seed = stats.correlation(x, y, resamples=500, seed=43)
    assert first == again
    assert first.interval != other_seed.interval
    low, high = first.interval
    assert low < first.rho < high
    assert first.n == 30


def test_bootstrap_follows_the_documented_resampling():
    # The interval is the percentile interval of rho over rows drawn by random.Random(seed).
    x, y = [1, 2, 3, 4, 5, 6], [2, 1, 4, 3, 6, 5]
    rng = random.Random(5)
    estimates = []
    for _ in range(200):
        picks = [rng.randrange(6) for _ in range(6)]
        rho = scipy_stats.spearmanr([x[i] for i in picks], [y[i] for i in picks]).statistic
        if not math.isnan(rho):
            estimates.append(rho)
    expected = tuple(np.percentile(estimates, [2.5, 97.5]))
    got = stats.bootstrap_interval([x, y], stats.spearman, resamples=200, seed=5)
    assert got == pytest.approx(expected)


def test_bootstrap_of_a_perfect_monotone_relation_is_one():
    x = list(range(10))
    assert stats.correlation(x, [v * v for v in x], resamples=200).interval == (1.0, 1.0)


def test_bootstrap_needs_three_rows():
    assert stats.bootstrap_interval([[1, 2], [1, 2]], stats.spearman) is None
