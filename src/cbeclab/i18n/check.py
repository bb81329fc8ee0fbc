"""Find untranslated UI words in Chinese outputs (pages, workbooks, documents, console, --help).

A Chinese page may keep statistical acronyms (KMO, RMSEA, χ²), method names (TOPSIS, GM(1,1)),
codes (Q1, F1, B8a), paths and quoted literal values in Latin letters. Every other run of Latin
letters in a zh output is an English UI word that did not go through the catalogue. The allowed
words and code patterns are data: ``i18n/data/untranslated_allow.yaml``.

Use in tests::

    from cbeclab.i18n.check import assert_translated, text_of
    assert_translated(text_of("out/report.html"), where="report.html")

:func:`english_words` returns the offending words with some context; :func:`assert_translated`
fails listing each distinct word once with where it was seen, so a report of missing translations
reads like a to-do list.

In HTML, ``<cite>`` elements and elements marked ``lang="en"`` are skipped: that is how a page says
a piece of text (a reference to English literature, an author's name) is English on purpose.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "Finding",
    "allow_list",
    "assert_english",
    "assert_translated",
    "english_problems",
    "english_words",
    "html_text",
    "text_of",
]

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_'’&-]*[A-Za-z0-9]|[A-Za-z]")


@dataclass(frozen=True)
class Finding:
    """One untranslated word and the text around it."""

    word: str
    context: str
    where: str = ""


@cache
def allow_list() -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    """The allowed words and the code patterns (compiled), from ``untranslated_allow.yaml``."""
    ref = resources.files("cbeclab.i18n").joinpath("data", "untranslated_allow.yaml")
    with ref.open("r", encoding="utf-8") as fh:
        raw: dict[str, Any] = yaml.safe_load(fh)
    words = frozenset(str(w) for w in raw.get("words") or [])
    pats = tuple(re.compile(p["literal"] if isinstance(p, dict) else p) for p in raw.get("patterns") or [])
    return words, pats


@cache
def _literal_patterns() -> tuple[re.Pattern[str], ...]:
    """The allow-list patterns marked ``{literal: ...}``: input written as is, in any language."""
    ref = resources.files("cbeclab.i18n").joinpath("data", "untranslated_allow.yaml")
    with ref.open("r", encoding="utf-8") as fh:
        raw: dict[str, Any] = yaml.safe_load(fh)
    return tuple(re.compile(p["literal"]) for p in raw.get("patterns") or [] if isinstance(p, dict))


def english_words(text: str, *, allow: Iterable[str] = (), where: str = "") -> list[Finding]:
    """Latin-letter words of ``text`` that are neither allowed words nor inside an allowed code pattern."""
    words, pats = allow_list()
    extra = set(allow)
    masked = text
    for p in pats:
        masked = p.sub(lambda m: " " * len(m.group(0)), masked)
    for a in sorted(extra, key=len, reverse=True):  # extra allowed phrases (e.g. a command's choices)
        if a:
            masked = re.sub(r"(?<![\w])" + re.escape(a) + r"(?![\w])", " " * len(a), masked)
    out = []
    for m in _WORD.finditer(masked):
        w = m.group(0)
        if w in words or w in extra:
            continue
        lo, hi = max(0, m.start() - 30), min(len(text), m.end() + 30)
        out.append(Finding(w, " ".join(text[lo:hi].split()), where))
    return out


#: what an English output must not show: Chinese text, raw data keys, Python and JSON reprs
_EN_PROBLEMS = (
    ("Chinese text", re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]+")),
    ("raw key", re.compile(r"(?<![\w.-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w(])")),
    ("repr", re.compile(r"\b(?:None|nan|NaN|True|False|null)\b|\bnp\.\w+\(|\{'|\[\]|\{\}")),
)


def english_problems(text: str, *, allow: Iterable[str] = (), where: str = "") -> list[Finding]:
    """Chinese text, snake_case data keys and Python reprs in an English output.

    The allow-list's code patterns (quoted values, paths, file names, options, spec keys) are taken
    out first; ``allow`` adds literal phrases that may appear (a user's own Chinese entity names).
    """
    masked = text
    for p in _literal_patterns():
        masked = p.sub(lambda m: " " * len(m.group(0)), masked)
    for a in sorted(set(allow), key=len, reverse=True):
        if a:
            masked = masked.replace(a, " " * len(a))
    out = []
    for what, rx in _EN_PROBLEMS:
        # a repr is found in the text as written ({'a': 1} holds a quoted value the masking takes out)
        for m in rx.finditer(text if what == "repr" else masked):
            lo, hi = max(0, m.start() - 30), min(len(text), m.end() + 30)
            out.append(Finding(f"{what}: {m.group(0)}", " ".join(text[lo:hi].split()), where))
    return out


def assert_english(text: str, *, where: str = "", allow: Iterable[str] = (), limit: int = 60) -> None:
    """Fail (AssertionError) when an English output shows Chinese text, raw keys or reprs."""
    _report(english_problems(text, allow=allow, where=where), where, limit)


def html_text(page: str) -> str:
    """The visible text of an HTML page (scripts, styles, comments, citations and lang="en" parts removed)."""
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    # text a page marks as intentionally English -- a citation of English literature -- is not UI text
    page = re.sub(r"(?is)<cite\b.*?</cite>", " ", page)
    page = re.sub(r"(?is)<(\w+)\b[^>]*\blang=\"en[^\"]*\"[^>]*>.*?</\1>", " ", page)
    page = re.sub(r"(?is)<!--.*?-->", " ", page)
    attrs = " ".join(re.findall(r'(?i)\b(?:title|alt|aria-label|placeholder)="([^"]*)"', page))
    body = re.sub(r"(?s)<[^>]+>", "\n", page)
    return html_lib.unescape(body + "\n" + attrs)


def _xlsx_text(path: Path) -> str:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    parts: list[str] = []
    for ws in wb.worksheets:
        parts.append(ws.title)
        for row in ws.iter_rows(values_only=True):
            parts.extend(str(v) for v in row if isinstance(v, str))
    wb.close()
    return "\n".join(parts)


def _english_run(run: Any) -> bool:
    """A run marked as English (``<w:lang w:val="en-...">``): a literature reference, kept as is."""
    from docx.oxml.ns import qn

    rpr = run.element.rPr
    lang = rpr.find(qn("w:lang")) if rpr is not None else None
    return lang is not None and str(lang.get(qn("w:val")) or "").lower().startswith("en")


def _docx_paragraphs(paragraphs: Any) -> list[str]:
    return ["".join(r.text for r in p.runs if not _english_run(r)) for p in paragraphs]


def _docx_text(path: Path) -> str:
    """Text of a Word file: paragraphs (headings, captions, notes), table cells, headers and footers.

    Runs marked English (``w:lang="en-..."``) are left out, as ``lang="en"`` parts of a page are.
    """
    import docx

    d = docx.Document(str(path))
    parts = _docx_paragraphs(d.paragraphs)
    for t in d.tables:
        for row in t.rows:
            for c in row.cells:
                parts.extend(_docx_paragraphs(c.paragraphs))
    for sec in d.sections:
        parts.extend(_docx_paragraphs(sec.header.paragraphs))
        parts.extend(_docx_paragraphs(sec.footer.paragraphs))
    parts.append(str(d.core_properties.title or ""))
    return "\n".join(parts)


def text_of(path: str | Path) -> str:
    """The user-visible text of an output file (.html, .xlsx, .docx, else read as UTF-8 text)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".html", ".htm"):
        return html_text(p.read_text(encoding="utf-8"))
    if suffix == ".xlsx":
        return _xlsx_text(p)
    if suffix == ".docx":
        return _docx_text(p)
    return p.read_text(encoding="utf-8")


def assert_translated(text: str, *, where: str = "", allow: Iterable[str] = (), limit: int = 60) -> None:
    """Fail (AssertionError) when ``text`` holds untranslated English words; list each word once."""
    _report(english_words(text, allow=allow, where=where), where, limit, "untranslated word(s)")


def _report(found: list[Finding], where: str, limit: int, what: str = "problem(s)") -> None:
    if not found:
        return
    first: dict[str, Finding] = {}
    for f in found:
        first.setdefault(f.word, f)
    lines = [f"{len(first)} {what} in {where or 'the text'}:"]
    for f in list(first.values())[:limit]:
        lines.append(f"  {f.word!r}  in  ...{f.context}...")
    if len(first) > limit:
        lines.append(f"  ... and {len(first) - limit} more")
    raise AssertionError("\n".join(lines))
