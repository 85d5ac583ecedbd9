"""The weights page's backtest: the draft weights against recorded post-hire outcomes before
they are saved. The scoring itself stays the scoring app's (its loader and pure function)."""

from datetime import datetime

from evidence.selectors import BacktestRow, weights_backtest
from scoring.rules import Weights, score_application
from scoring.scores import score_inputs, weights_as_rules, weights_current


def _scores(rules: Weights, application_ids: list[int], now: datetime) -> dict[int, float]:
    inputs = score_inputs(application_ids)
    return {
        pk: float(
            score_application(
                test=data.test,
                contacts=data.contacts,
                promises=data.promises,
                weights=rules,
                now=now,
            ).score
        )
        for pk, data in inputs.items()
    }


def backtest_draft_weights(*, values: dict, now: datetime) -> list[BacktestRow]:
    """Spearman of the score with each outcome, under the weights in force and under ``values``."""
    return weights_backtest(
        draft=Weights(**values),
        current=weights_as_rules(weights_current()),
        score_with=_scores,
        now=now,
    )
