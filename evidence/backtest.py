"""The weights page's backtest: the draft weights against recorded post-hire outcomes before
they are saved. The scoring itself stays the scoring app's (its loader and pure function)."""

from datetime import datetime

from evidence.selectors import BacktestRow, weights_backtest
from scoring.rules import Weights
from scoring.scores import score_inputs, scores_under, weights_as_rules, weights_current


def _scores(rules: Weights, application_ids: list[int], now: datetime) -> dict[int, float]:
    scores = scores_under(score_inputs(application_ids), rules=rules, now=now)
    return {pk: float(score) for pk, score in scores.items()}


def backtest_draft_weights(*, values: dict, now: datetime) -> list[BacktestRow]:
    """Spearman of the score with each outcome, under the weights in force and under ``values``."""
    return weights_backtest(
        draft=Weights(**values),
        current=weights_as_rules(weights_current()),
        score_with=_scores,
        now=now,
    )
