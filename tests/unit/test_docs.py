"""The documentation stays navigable: every relative link in README.md and docs/*.md points at a
file that exists and, with ``#anchor``, at a heading that exists (GitHub's slugs); the README
stays short; nothing cites a design document the repository does not have.

Pure file reading: no database, no network (absolute URLs are not checked).
"""

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
MARKDOWN_FILES = [README, *DOCS]

#: README lines allowed, not counting the sections below (they are moving to docs/ later, and
#: the budget must stay true once they have).
README_MAX_LINES = 200

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
# [text](target) and ![alt](target); the text may hold one level of brackets.
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def _prose_lines(text: str):
    """(line number, line) outside fenced code blocks."""
    in_fence = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if not in_fence:
            yield number, line


def _heading_text(raw: str) -> str:
    """The heading as GitHub renders it to text: code spans keep their content, links their
    text, emphasis markers go."""
    text = _CODE_SPAN.sub(lambda m: m.group(2), raw)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[*_]{1,3}(\S(?:.*?\S)?)[*_]{1,3}", r"\1", text)


def github_slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped (hyphens and underscores
    kept), each space a hyphen."""
    text = _heading_text(heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a file, with GitHub's -1, -2 … suffixes for repeats."""
    seen: dict[str, int] = {}
    result = set()
    for _number, line in _prose_lines(path.read_text(encoding="utf-8")):
        match = _HEADING.match(line)
        if not match:
            continue
        slug = github_slug(match.group(2))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f"{slug}-{count}")
    return result


def relative_links(path: Path):
    """(line number, target) of every link that is not an absolute URL, outside code."""
    for number, line in _prose_lines(path.read_text(encoding="utf-8")):
        for match in _LINK.finditer(_CODE_SPAN.sub("", line)):
            target = match.group(1)
            if target and not _SCHEME.match(target):
                yield number, target


def broken_links(path: Path, *, root: Path = ROOT) -> list[str]:
    problems = []
    for number, target in relative_links(path):
        file_part, _hash, anchor = target.partition("#")
        destination = (path.parent / file_part).resolve() if file_part else path
        where = f"{path.relative_to(root)}:{number}: {target}"
        if not destination.exists():
            problems.append(f"{where}: no such file")
        elif anchor:
            if destination.suffix != ".md":
                problems.append(f"{where}: anchor into a file that is not markdown")
            elif anchor not in anchors(destination):
                problems.append(f"{where}: no heading with that anchor")
    return problems


# --- the checker itself ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("Personal data (GDPR)", "personal-data-gdpr"),
        ("Calls, texts and the unmatched queue", "calls-texts-and-the-unmatched-queue"),
        ("Gaps, and the profiles that explain them", "gaps-and-the-profiles-that-explain-them"),
        ("`make run` and **`make test`**", "make-run-and-make-test"),
        ("What the scheduler does", "what-the-scheduler-does"),
        ("Silence-test stage_name", "silence-test-stage_name"),
    ],
)
def test_github_slug_matches_githubs_anchors(heading, slug):
    assert github_slug(heading) == slug


def test_checker_reports_missing_files_and_anchors_and_ignores_code_and_urls(tmp_path):
    other = tmp_path / "other.md"
    other.write_text("# Title\n\n## A section\n\n## A section\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n"
        "[ok](other.md#a-section) [repeat](other.md#a-section-1) [self](#page)\n"
        "[gone](missing.md) [no anchor](other.md#nope) [url](https://example.com/x.md)\n"
        "`[code](missing-too.md)`\n"
        "```\n[fenced](missing-three.md)\n```\n",
        encoding="utf-8",
    )
    problems = broken_links(page, root=tmp_path)
    assert problems == [
        "page.md:4: missing.md: no such file",
        "page.md:4: other.md#nope: no heading with that anchor",
    ]


# --- the repository's documentation --------------------------------------------------------------


def test_docs_folder_has_the_guides_the_readme_promises():
    names = {path.name for path in DOCS}
    assert {
        "user-guide.md",
        "operations.md",
        "design.md",
        "performance.md",
        "security.md",
        "personal-data.md",
    } <= names


@pytest.mark.parametrize("path", MARKDOWN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(path):
    assert broken_links(path) == []


def test_readme_is_at_most_200_lines():
    lines = len(README.read_text(encoding="utf-8").splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move detail to docs/."


def test_no_file_cites_a_design_document_missing_from_the_repository():
    # The design notes are docs/design.md; a top-level design file is not in the repository.
    missing_name = "DESIGN" + ".md"  # spelt in two parts so this file does not cite it
    assert not (ROOT / missing_name).exists()
    citing = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [
            name
            for name in subfolders
            if not name.startswith(".") and name not in {"var", "screenshots", "__pycache__"}
        ]
        for name in files:
            if not name.endswith((".py", ".md", ".html")):
                continue
            path = Path(folder) / name
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if missing_name in line:
                    citing.append(f"{path.relative_to(ROOT)}:{number}")
    assert citing == []
