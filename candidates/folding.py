"""Accent folding for name searches: "Jose Nunez" finds José Núñez.

One rule, in Python (the query) and in SQL (the stored names), side by side: a character map
applied by ``str.translate`` and by PostgreSQL's built-in ``translate()``. Not the ``unaccent``
extension: the embedded PostgreSQL of ``make run`` (pgserver) does not ship it. The map keeps
case (É → E, é → e), so the ``icontains`` lookup's ``UPPER`` on both sides does the rest.
tests/integration/test_folding.py checks that both sides agree.
"""

import unicodedata

from django.db.models import CharField, F, Func, Value

#: Latin letters without a decomposition to a base letter.
_EXTRA = {
    "ø": "o",
    "Ø": "O",
    "đ": "d",
    "Đ": "D",
    "ł": "l",
    "Ł": "L",
    "\u0131": "i",
    "ħ": "h",
    "Ħ": "H",
}


def _fold_map() -> tuple[str, str]:
    sources, targets = [], []
    # Latin-1 Supplement, Latin Extended-A and B: the accented letters of European names.
    for code in range(0x00C0, 0x0250):
        char = chr(code)
        base = unicodedata.normalize("NFKD", char)[:1]
        decomposed = unicodedata.normalize("NFKD", char)
        if char in _EXTRA:
            sources.append(char)
            targets.append(_EXTRA[char])
        elif (
            base.isascii()
            and base.isalpha()
            and len(decomposed) > 1
            and all(unicodedata.combining(mark) for mark in decomposed[1:])
        ):
            sources.append(char)
            targets.append(base)
    return "".join(sources), "".join(targets)


FOLD_FROM, FOLD_TO = _fold_map()
_TABLE = str.maketrans(FOLD_FROM, FOLD_TO)


def fold(text: str) -> str:
    """``text`` with its accented Latin letters replaced by their base letters, case kept."""
    return text.translate(_TABLE)


class Folded(Func):
    """``fold`` in SQL: PostgreSQL's ``translate(expression, FOLD_FROM, FOLD_TO)``."""

    function = "translate"
    output_field = CharField()

    def __init__(self, expression, **extra):
        if isinstance(expression, str):
            expression = F(expression)
        super().__init__(expression, Value(FOLD_FROM), Value(FOLD_TO), **extra)
