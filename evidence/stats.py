"""The statistics behind the bias audit and the validity page: pure functions on plain numbers.

No ORM and no clock, so every figure can be checked by hand (tests/unit/test_evidence_stats.py
does, and compares the exact test and Spearman's rho with ``scipy``). The formulas are
explained in docs/evidence.md.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

#: The four-fifths rule of the US Uniform Guidelines: a ratio below this is adverse impact.
FOUR_FIFTHS = 0.8
#: NYC Local Law 144 rules let an audit leave categories under 2 % of the data out of the
#: impact ratios (they are still shown, with the exclusion).
MIN_SHARE = 0.02
#: Cells with fewer people than this are shown but marked: a rate of 1 in 3 says little. Such
#: a cell is never the reference either: one hire out of one would make every group look adverse.
SMALL_CELL = 5
#: scipy's tolerance when deciding which tables are "as extreme as" the observed one: without
#: it, floating-point noise drops tables whose probability equals the observed one.
_FISHER_REL_TOLERANCE = 1 + 1e-7


def rate(selected: int, n: int) -> float | None:
    """``selected / n``; None when nobody is in the group."""
    if selected < 0 or n < 0 or selected > n:
        raise ValueError(f"Cannot have {selected} selected out of {n}.")
    return selected / n if n else None


def median(values: Sequence[float]) -> float | None:
    """The middle value; with an even count, the mean of the two middle ones (ties stay in)."""
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def count_above(values: Sequence[float], threshold: float) -> int:
    """How many values are strictly above ``threshold``: a score equal to the median is not
    "above" it, so ties at the median never count as selected."""
    return sum(1 for value in values if value > threshold)


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def fisher_exact(a: int, b: int, c: int, d: int) -> float:
    """Two-sided p-value of Fisher's exact test for the table ``[[a, b], [c, d]]``.

    The sum of the hypergeometric probabilities of every table with the same margins that is
    no more likely than the observed one (the definition ``scipy.stats.fisher_exact`` uses).
    Log-space, so large counts neither overflow nor take long: one term per possible table.
    """
    if min(a, b, c, d) < 0:
        raise ValueError("Counts cannot be negative.")
    row1, row2, col1 = a + b, c + d, a + c
    n = row1 + row2
    if row1 == 0 or row2 == 0 or col1 == 0 or col1 == n:
        return 1.0
    base = _log_choose(n, col1)

    def log_p(k: int) -> float:
        return _log_choose(row1, k) + _log_choose(row2, col1 - k) - base

    observed = log_p(a) + math.log(_FISHER_REL_TOLERANCE)
    total = 0.0
    for k in range(max(0, col1 - row2), min(row1, col1) + 1):
        value = log_p(k)
        if value <= observed:
            total += math.exp(value)
    return min(1.0, total)


@dataclass(frozen=True)
class ImpactRow:
    """One category of an impact-ratio table."""

    category: str
    n: int
    selected: int
    rate: float | None
    #: ``rate / reference rate``; None when excluded, empty or the reference rate is zero.
    impact_ratio: float | None
    #: Under ``MIN_SHARE`` of the data: shown, left out of the ratios.
    excluded: bool
    #: Fewer than ``SMALL_CELL`` people: shown, marked.
    small: bool
    #: Impact ratio below ``FOUR_FIFTHS``.
    flagged: bool
    #: Fisher's exact test of this category against the reference (the highest rate among the
    #: categories that are neither excluded nor small cells).
    p_value: float | None
    is_reference: bool


def impact_table(
    groups: Sequence[tuple[str, int, int]],
    *,
    total: int,
    min_share: float = MIN_SHARE,
    small_cell: int = SMALL_CELL,
    threshold: float = FOUR_FIFTHS,
) -> list[ImpactRow]:
    """Impact ratios for ``(category, n, selected)`` groups, in the order given.

    ``total`` is the size of the data the shares are taken of (every person in the report,
    unknown category included). The reference is the highest rate among the categories kept
    that are not small cells (``n >= small_cell``); the first such category wins a tie. Each
    other kept category (small ones included, marked) gets ``rate / reference``, a flag below
    ``threshold`` and Fisher's exact p-value against the reference. No category qualifies:
    no ratios at all (``no_ratio_reason`` says why).
    """
    kept = [
        (category, n, selected)
        for category, n, selected in groups
        if n > 0 and not (total and n / total < min_share)
    ]
    reference = None
    for category, n, selected in kept:
        if n < small_cell:
            continue
        if reference is None or selected / n > reference[2] / reference[1]:
            reference = (category, n, selected)
    rows = []
    for category, n, selected in groups:
        group_rate = rate(selected, n)
        excluded = n > 0 and bool(total) and n / total < min_share
        is_reference = reference is not None and category == reference[0]
        ratio = p_value = None
        if reference is not None and not excluded and n > 0:
            top = reference[2] / reference[1]
            ratio = group_rate / top if top > 0 else None
            if not is_reference:
                p_value = fisher_exact(
                    selected, n - selected, reference[2], reference[1] - reference[2]
                )
        rows.append(
            ImpactRow(
                category=category,
                n=n,
                selected=selected,
                rate=group_rate,
                impact_ratio=ratio,
                excluded=excluded,
                small=0 < n < small_cell,
                flagged=ratio is not None and ratio < threshold,
                p_value=p_value,
                is_reference=is_reference,
            )
        )
    return rows


def no_ratio_reason(rows: Sequence[ImpactRow], *, small_cell: int = SMALL_CELL) -> str:
    """Why an impact table has no ratios at all (no reference group); "" when it has one."""
    if any(row.is_reference for row in rows):
        return ""
    if not any(row.n for row in rows):
        return "Nobody with a known category: no impact ratios."
    return (
        f"No impact ratios: no category has at least {small_cell} people (outside the 2 % "
        "exclusion), and a smaller group is too uncertain to be the reference."
    )


# --- Correlation ------------------------------------------------------------------------------


def ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks; tied values share the mean of the ranks they span."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    result = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        shared = (start + end) / 2 + 1
        for position in range(start, end + 1):
            result[order[position]] = shared
        start = end + 1
    return result


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson's r; None with fewer than 3 pairs or when either side does not vary."""
    if len(x) != len(y):
        raise ValueError("Both columns need the same length.")
    n = len(x)
    if n < 3:
        return None
    mean_x, mean_y = sum(x) / n, sum(y) / n
    sxy = sum((a - mean_x) * (b - mean_y) for a, b in zip(x, y, strict=True))
    sxx = sum((a - mean_x) ** 2 for a in x)
    syy = sum((b - mean_y) ** 2 for b in y)
    if sxx == 0 or syy == 0:
        return None
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rho: Pearson's r of the ranks (ties averaged), as ``scipy.stats.spearmanr``."""
    if len(x) != len(y):
        raise ValueError("Both columns need the same length.")
    return pearson(ranks(x), ranks(y))


def partial_spearman(x: Sequence[float], y: Sequence[float], z: Sequence[float]) -> float | None:
    """Spearman correlation of ``x`` and ``y`` once ``z`` is held constant:
    ``(r_xy - r_xz r_yz) / sqrt((1 - r_xz²)(1 - r_yz²))``. Used to ask whether the persistence
    score says anything about an outcome that the scorecards do not already say."""
    r_xy, r_xz, r_yz = spearman(x, y), spearman(x, z), spearman(y, z)
    if r_xy is None or r_xz is None or r_yz is None:
        return None
    denominator = math.sqrt((1 - r_xz**2) * (1 - r_yz**2))
    if denominator == 0:
        return None
    return max(-1.0, min(1.0, (r_xy - r_xz * r_yz) / denominator))


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default ``percentile`` method)."""
    if not sorted_values:
        raise ValueError("No values.")
    position = q * (len(sorted_values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    fraction = position - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction


#: Resamples per bootstrap interval: enough for a stable 95 % percentile interval at the small
#: n of post-hire outcomes, cheap enough to compute on each page view.
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 20240101


def bootstrap_interval(
    columns: Sequence[Sequence[float]],
    statistic: Callable[..., float | None],
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    level: float = 0.95,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of ``statistic(*columns)``: resample rows with replacement
    (``random.Random(seed)``, so the same data always gives the same interval), compute the
    statistic on each resample, take the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles.

    Resamples where the statistic is undefined (a column that does not vary) are skipped;
    None when more than half are, or with fewer than 3 rows.
    """
    n = len(columns[0]) if columns else 0
    if n < 3 or any(len(column) != n for column in columns):
        return None
    rng = random.Random(seed)
    estimates = []
    for _ in range(resamples):
        picks = [rng.randrange(n) for _ in range(n)]
        value = statistic(*([column[i] for i in picks] for column in columns))
        if value is not None:
            estimates.append(value)
    if len(estimates) * 2 < resamples:
        return None
    estimates.sort()
    alpha = (1 - level) / 2
    return quantile(estimates, alpha), quantile(estimates, 1 - alpha)


@dataclass(frozen=True)
class Correlation:
    n: int
    rho: float | None
    interval: tuple[float, float] | None


def correlation(
    x: Sequence[float],
    y: Sequence[float],
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> Correlation:
    """Spearman's rho with its n and a seeded 95 % bootstrap interval."""
    return Correlation(
        n=len(x),
        rho=spearman(x, y),
        interval=bootstrap_interval([x, y], spearman, resamples=resamples, seed=seed),
    )


def partial_correlation(
    x: Sequence[float],
    y: Sequence[float],
    z: Sequence[float],
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> Correlation:
    return Correlation(
        n=len(x),
        rho=partial_spearman(x, y, z),
        interval=bootstrap_interval([x, y, z], partial_spearman, resamples=resamples, seed=seed),
    )
