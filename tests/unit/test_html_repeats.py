"""Cutting runs of a repeated tag to three copies (what makes 400 000 nested ``<div>`` cheap)
never changes the text the linear HTML path extracts, whatever surrounds the runs."""

from hypothesis import given, settings
from hypothesis import strategies as st

from followups.email_parsing import _html_markup_text, _repeats_cut, _text_from_markup

FRAGMENTS = [
    "<div>",
    "<DIV>",
    "</div>",
    "<div -->",
    "<br>",
    "<br/>",
    "<b>",
    "</b>",
    "<li>",
    "</li>",
    "<p class=x>",
    '<a title="',
    '"',
    "'",
    "<!--",
    "-->",
    "<script>",
    "</script>",
    "<svg>",
    "</svg>",
    "<textarea>",
    "<plaintext>",
    "<!x",
    "<a",
    "<",
    ">",
    " ",
    "\n",
    "text",
    "&amp;",
]


def _text(source: str) -> str:
    return _text_from_markup(_html_markup_text(source))


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(FRAGMENTS), st.integers(min_value=1, max_value=7)), max_size=12
    )
)
def test_cutting_repeated_tags_keeps_the_text(runs):
    source = "".join(fragment * times for fragment, times in runs)
    assert _text(_repeats_cut(source)) == _text(source)


def test_400k_nested_divs_are_cut_to_three():
    assert _repeats_cut("hi" + "<div>" * 400_000 + "there") == "hi<div><div><div>there"
