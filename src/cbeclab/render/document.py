"""One document model for every report: Document -> Sections -> blocks (tables, figures, paragraphs, notes).

The engine, survey and diagnosis reports are each built as a :class:`Document` by a thin builder
(:mod:`cbeclab.render.engine_report`, :mod:`cbeclab.survey.report`, :mod:`cbeclab.diagnose.report`);
HTML (:func:`cbeclab.render.html.render_html`), XLSX (:func:`cbeclab.render.xlsx.render_xlsx`) and
DOCX (:func:`cbeclab.render.docx.render_docx`) are three views of the same object, in the way JASP and
jamovi show one list of numbered, captioned tables and figures on screen and in an export.

The model holds data already computed (DataFrames, chart objects, finished sentences); nothing here
computes a result. Tables and figures are numbered in reading order ("表1" / "Table 1", "图1" /
"Figure 1") by :meth:`Document.numbers`, so every view prints the same numbers.

>>> import pandas as pd
>>> t = Table("w", "Weights", pd.DataFrame({"indicator": ["x1"], "weight": [0.25]}))
>>> doc = Document("Demo", "en", (Section("s", "Results", (t,)),))
>>> doc.caption(t)
'Table 1  Weights'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import pandas as pd

from cbeclab.i18n import _
from cbeclab.render import sizing
from cbeclab.render.numbers import (
    DEFAULT_DIGITS,
    MISSING,
    Format,
    fmt_value,
    frame_formats,
    header_with_unit,
    is_missing,
)

__all__ = [
    "Banner",
    "Block",
    "Bullets",
    "ChartLike",
    "Column",
    "Document",
    "Figure",
    "Paragraph",
    "Section",
    "Table",
]

#: rows of a table shown in HTML and DOCX by default; the XLSX view always holds every row (the
#: thresholds of every view are in :mod:`cbeclab.render.sizing`)
DISPLAY_ROWS = sizing.DISPLAY_ROWS


@runtime_checkable
class ChartLike(Protocol):
    """What a Figure wraps: :class:`cbeclab.render.charts.Chart` or the SVG adapter of this package."""

    key: str
    title: str
    kind: str
    note: str | None

    def to_png(self, scale: float = 2.0) -> bytes: ...

    def to_svg(self) -> str: ...

    def html(self, element_id: str) -> str: ...


@dataclass(frozen=True)
class Column:
    """A printed column: data key, display name, unit and number format (``digits`` None: the table's).

    ``missing`` is what an empty cell prints ("" for values shown once per group, as merged cells).
    """

    key: str
    label: str
    unit: str | None = None
    fmt: Format = "auto"
    digits: int | None = None
    missing: str = MISSING

    def header(self, lang: str | None = None) -> str:
        return header_with_unit(self.label, self.unit, lang)


@dataclass(frozen=True, eq=False)
class Table:
    """A numbered table: caption, columns, the data (keyed by column key), notes and a star legend.

    ``data`` is the full table; HTML and DOCX show the first ``max_rows`` rows, or the rows at the
    positions ``rows`` when the builder chose them (the top and bottom entities of a national panel,
    :mod:`cbeclab.render.sizing`), and say where the rest is: ``shown_note`` when the builder wrote
    it, else the XLSX sheet ``sheet``. ``views`` limits where a table appears (appendix tables that
    only the workbook carries: ``("xlsx",)``). ``highlight`` maps a column key to a boolean mask of
    flagged cells (imputed values, failed thresholds), over the rows of ``data``. ``source`` names the
    stored result table the rows come from (``synergy`` -> ``tables/synergy.parquet`` of a run
    folder), for a workbook that leaves a long table out and says where it is.
    """

    key: str
    caption: str
    data: pd.DataFrame
    columns: tuple[Column, ...] = ()
    notes: tuple[str, ...] = ()
    significance: bool = False
    digits: int = DEFAULT_DIGITS
    sheet: str | None = None
    max_rows: int = DISPLAY_ROWS
    highlight: Mapping[str, Sequence[bool]] | None = None
    numbered: bool = True
    views: tuple[str, ...] = ("html", "xlsx", "docx")
    source: str | None = None
    rows: Sequence[int] | None = None
    shown_note: str | None = None

    def positions(self) -> list[int]:
        """Positions (in ``data``) of the rows HTML and DOCX print."""
        if self.rows is not None:
            return [int(i) for i in self.rows]
        return list(range(min(len(self.data), self.max_rows)))

    def cols(self) -> tuple[Column, ...]:
        """The printed columns: the declared ones present in the data, else one per data column."""
        if self.columns:
            return tuple(c for c in self.columns if c.key in self.data.columns)
        fmts = frame_formats(self.data)
        return tuple(Column(str(c), str(c), fmt=fmts.get(str(c), "auto")) for c in self.data.columns)

    def resolved_cols(self) -> tuple[Column, ...]:
        """:meth:`cols` with "auto" formats settled by the column's values (int vs float)."""
        fmts = frame_formats(self.data)
        out = []
        for c in self.cols():
            fmt = c.fmt
            if fmt == "auto":
                fmt = fmts.get(c.key, "text")
            digits = c.digits if c.digits is not None else self.digits
            out.append(Column(c.key, c.label, c.unit, fmt, digits, c.missing))
        return tuple(out)

    def text_rows(self, limit: int | None = None) -> list[list[str]]:
        """The printed cells of the first ``limit`` rows (all rows when None)."""
        return self._cells(self.data if limit is None else self.data.head(limit))

    def shown_rows(self) -> list[list[str]]:
        """The printed cells of the rows HTML and DOCX show (:meth:`positions`)."""
        if self.rows is None:
            return self._cells(self.data.head(self.max_rows))
        return self._cells(self.data.iloc[self.positions()])

    def _cells(self, frame: pd.DataFrame) -> list[list[str]]:
        cols = self.resolved_cols()
        columns = [frame[c.key].tolist() for c in cols]
        out = []
        for values in zip(*columns) if cols else []:
            out.append(
                [
                    c.missing
                    if is_missing(v)
                    else fmt_value(v, c.fmt, self.digits if c.digits is None else c.digits)
                    for v, c in zip(values, cols)
                ]
            )
        return out

    @property
    def truncated(self) -> bool:
        """True when HTML and DOCX show fewer rows than ``data`` has."""
        return len(self.positions()) < len(self.data)


@dataclass(frozen=True, eq=False)
class Figure:
    """A numbered figure wrapping a chart object (see :class:`ChartLike`)."""

    key: str
    chart: Any
    caption: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return self.caption or str(getattr(self.chart, "title", ""))


@dataclass(frozen=True)
class Paragraph:
    """Running text: ``interpretation`` (rule-based reading of a result), ``method`` or plain ``text``."""

    text: str
    kind: Literal["text", "interpretation", "method"] = "text"
    #: a literature reference printed after the text, kept in its own language (HTML: ``<cite lang="en">``)
    cite: str = ""
    #: the translated frame around ``cite``, with ``{source}`` where the reference goes
    cite_frame: str = "{source}"

    @property
    def full_text(self) -> str:
        """The text with its reference, as plain text (DOCX and other text outputs)."""
        if not self.cite:
            return self.text
        return f"{self.text} {self.cite_frame.replace('{source}', self.cite)}"


@dataclass(frozen=True)
class Bullets:
    """A bulleted list (reasons, advantages, sources), optionally with a small heading."""

    items: tuple[str, ...]
    heading: str | None = None


@dataclass(frozen=True)
class Banner:
    """A highlighted note (``warning``: synthetic data, refused models; ``info``: provenance)."""

    text: str
    level: Literal["warning", "info"] = "warning"


Block = Table | Figure | Paragraph | Bullets | Banner


@dataclass(frozen=True)
class Section:
    """A titled part of a report holding blocks in reading order."""

    key: str
    title: str
    blocks: tuple[Block, ...] = ()
    intro: str | None = None


@dataclass(frozen=True)
class Document:
    """A whole report. ``files`` names the sibling outputs (e.g. ``{"xlsx": "result.xlsx"}``) for notes."""

    title: str
    lang: str
    sections: tuple[Section, ...]
    subtitle: str | None = None
    banners: tuple[Banner, ...] = ()
    footer: str | None = None
    kind: str = "report"
    files: Mapping[str, str] = field(default_factory=dict)

    def blocks(self) -> Iterator[tuple[Section, Block]]:
        for s in self.sections:
            for b in s.blocks:
                yield s, b

    def tables(self, view: str | None = None) -> list[Table]:
        return [b for _s, b in self.blocks() if isinstance(b, Table) and (view is None or view in b.views)]

    def figures(self) -> list[Figure]:
        return [b for _s, b in self.blocks() if isinstance(b, Figure)]

    def numbers(self) -> dict[int, int]:
        """``id(block)`` -> its number; tables and figures are counted separately, in reading order."""
        out: dict[int, int] = {}
        nt = nf = 0
        for _s, b in self.blocks():
            if isinstance(b, Table) and b.numbered and "html" in b.views:
                nt += 1
                out[id(b)] = nt
            elif isinstance(b, Figure):
                nf += 1
                out[id(b)] = nf
        return out

    def label(self, block: Table | Figure) -> str | None:
        """``表3`` / ``Table 3`` (``图2`` / ``Figure 2``), or None for an unnumbered table."""
        n = self.numbers().get(id(block))
        if n is None:
            return None
        if isinstance(block, Figure):
            return _("Figure {n}", n=n, lang=self.lang)
        return _("Table {n}", n=n, lang=self.lang)

    def caption(self, block: Table | Figure) -> str:
        """The printed caption: number label, two spaces, caption text."""
        text = block.caption if isinstance(block, Table) else block.title
        lab = self.label(block)
        return f"{lab}  {text}" if lab else str(text)

    def table_notes(self, table: Table) -> list[str]:
        """Notes printed under a table: its own, the star legend, where the rest of a long table is."""
        from cbeclab.render.numbers import star_legend

        notes = list(table.notes)
        if table.significance:
            notes.append(star_legend(self.lang))
        trunc = self.truncation_note(table)
        if trunc:
            notes.append(trunc)
        return notes

    def truncation_note(self, table: Table) -> str | None:
        """Where the rest of a long table is, or None when every row is shown."""
        if not table.truncated:
            return None
        if table.shown_note:
            return table.shown_note
        xlsx = self.files.get("xlsx")
        where = (
            _(
                'the full table is on sheet "{sheet}" of {file}',
                sheet=table.sheet or table.key,
                file=xlsx,
                lang=self.lang,
            )
            if xlsx
            else _("the full table is in the XLSX and JSON outputs", lang=self.lang)
        )
        return _(
            "First {shown} of {total} rows shown; {where}.",
            shown=len(table.positions()),
            total=len(table.data),
            where=where,
            lang=self.lang,
        )
