"""The SEM path diagram, drawn the way AMOS and seed 000 (Zhu & Lu, Figure 2) draw it.

Latent variables are ovals, observed indicators boxes, optional residuals small circles. Arrows carry
the standardized estimates (lavaan's ``std.all``) with significance stars; every endogenous variable
shows its R². Correlations among the exogenous latent variables are double-headed arcs.

Layout: the structural variables are put in columns by their longest path from an exogenous
variable (exogenous left, final outcomes right); indicators of the first column sit to its left,
those of the last column to its right, those of middle columns (mediators) in a row above them.
Graphviz (``neato`` with pinned positions and spline routing) draws the arrows and places labels;
the result is an SVG document.
"""

from __future__ import annotations

import math
import re
import shutil
import textwrap
from collections.abc import Mapping
from typing import Any

import pandas as pd

from cbeclab.errors import ModelError
from cbeclab.i18n import pgettext, resolve_lang
from cbeclab.render.charts.base import CJK_FONT, Chart
from cbeclab.render.charts.common import display

__all__ = ["path_diagram", "stars"]

_LATENT_FILL = "#eaf2fb"
_ITEM_FILL = "#ffffff"
_GAP_X = 3.4  # inches between structural columns
_ITEM_DX = 2.3  # latent centre to its indicator column
_ITEM_DY = 0.52  # between stacked indicators
_ROW_DX = 0.95  # between indicators in a row (mediators)


def stars(p: float | None) -> str:
    """``***`` for p < 0.001, ``**`` for p < 0.01, ``*`` for p < 0.05, else empty (NaN: empty)."""
    if p is None or not math.isfinite(float(p)):
        return ""
    p = float(p)
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def _fmt(x: float) -> str:
    return f"{x:.2f}" if math.isfinite(x) else "–"


def _wrap(text: str, width: int) -> str:
    if " " in text:
        return "\n".join(textwrap.wrap(text, width=max(width * 2, 12), break_on_hyphens=False)) or text
    return "\n".join(text[i : i + width] for i in range(0, len(text), width)) or text


def _levels(struct: pd.DataFrame, nodes: list[str]) -> dict[str, int]:
    """Longest-path depth of each structural variable from the exogenous ones (cycles capped)."""
    preds: dict[str, set[str]] = {n: set() for n in nodes}
    for lhs, rhs in zip(struct["lhs"], struct["rhs"]):
        preds[str(lhs)].add(str(rhs))
    level: dict[str, int] = {}

    def depth(n: str, seen: frozenset[str]) -> int:
        if n in level:
            return level[n]
        ps = [p for p in preds.get(n, ()) if p not in seen]
        d = 0 if not ps else 1 + max(depth(p, seen | {n}) for p in ps)
        level[n] = d
        return d

    for n in nodes:
        depth(n, frozenset())
    return level


def path_diagram(
    sem_result: Any,
    lang: str | None = None,
    *,
    labels: Mapping[str, Any] | None = None,
    show_items: bool = True,
    show_errors: bool = False,
    key: str = "sem.path_diagram",
    title: str | None = None,
) -> Chart:
    """Path diagram of a fitted SEM model (any :class:`~cbeclab.sem.model.SEMResult`).

    Parameters
    ----------
    sem_result
        A fitted model; its ``params`` (lavaan ``parameterEstimates`` with ``std_all``) and ``r2``
        are read, nothing is computed.
    lang
        Language of the labels and caption.
    labels
        Display names of latent (or observed) variables: ``{name: text}`` or ``{name: {en, zh}}``.
        The short name is kept in brackets so the diagram can be matched to the tables.
    show_items
        Draw the indicators of each latent variable (boxes) with their standardized loadings.
    show_errors
        Draw a residual circle (e1, e2, ...) on each indicator.

    Returns
    -------
    Chart
        ``kind="svg"``; ``note`` gives the star legend.
    """
    import graphviz

    code = resolve_lang(lang)
    if shutil.which("neato") is None:
        raise ModelError(
            "the SEM path diagram needs Graphviz, but its 'neato' program is not installed",
            where="render.charts.sem.path_diagram",
            fix="install Graphviz (Debian/Ubuntu: apt-get install graphviz) and run again",
        )
    p = sem_result.params
    meas = p[p["op"] == "=~"]
    struct = p[p["op"] == "~"]
    lvs = [str(x) for x in dict.fromkeys(meas["lhs"])]
    items_of: dict[str, list[tuple[str, float]]] = {
        lv: [(str(r), float(s)) for r, s in zip(g["rhs"], g["std_all"])]
        for lv, g in meas.groupby("lhs", sort=False)
    }
    snodes = [str(x) for x in dict.fromkeys(list(struct["rhs"]) + list(struct["lhs"]))]
    if not snodes:  # a measurement model only: the factors side by side, correlated
        snodes = lvs
    for lv in lvs:
        if lv not in snodes:
            snodes.append(lv)
    level = _levels(struct, snodes)
    last = max(level.values()) if level else 0
    r2 = getattr(sem_result, "r2", pd.Series(dtype=float))
    endo = {str(x) for x in struct["lhs"]}

    # -- positions (inches; y grows upwards in Graphviz)
    def block_h(n: str) -> float:
        k = len(items_of.get(n, [])) if show_items else 0
        side = level[n] == 0 or level[n] == last
        return max(1.5, k * _ITEM_DY + 0.4) if side and show_items else 1.5

    pos: dict[str, tuple[float, float]] = {}
    by_level: dict[int, list[str]] = {}
    for n in snodes:
        by_level.setdefault(level[n], []).append(n)
    tallest = max(sum(block_h(n) for n in ns) for ns in by_level.values())
    for lv_idx, ns in by_level.items():
        total = sum(block_h(n) for n in ns)
        y = (tallest + total) / 2
        for n in ns:
            h = block_h(n)
            if 0 < lv_idx < last:  # middle columns: spread over the height, below the item row
                y_n = tallest * (1 - (ns.index(n) + 1) / (len(ns) + 1)) if len(ns) > 1 else tallest * 0.62
            else:
                y_n = y - h / 2
            pos[n] = (_ITEM_DX + 0.6 + lv_idx * _GAP_X, y_n)
            y -= h

    row_mode = struct.empty  # a measurement model: factors side by side, indicators below
    if row_mode:
        cursor = 0.0
        for n in snodes:
            w = max(len(items_of.get(n, [])) if show_items else 1, 2) * _ROW_DX + 0.5
            pos[n] = (cursor + w / 2, 2.4)
            cursor += w

    g = graphviz.Digraph(engine="neato", format="svg")
    g.attr(
        "graph",
        splines="true",
        overlap="true",
        outputorder="edgesfirst",
        fontname=CJK_FONT,
        pad="0.25",
        esep="0.2",
        sep="0.1",
    )
    g.attr("node", fontname=CJK_FONT, fontsize="12")
    g.attr("edge", fontname=CJK_FONT, fontsize="11", arrowsize="0.7", color="#333333")

    def node_label(n: str) -> str:
        name = display(n, labels, code)
        text = _wrap(name, 7) + (f"\n({n})" if name != n else "")
        if n in endo and n in r2.index and math.isfinite(float(r2[n])):
            text += f"\nR² = {float(r2[n]):.3f}"
        return text

    for n in snodes:
        x, y = pos[n]
        is_lv = n in lvs
        g.node(
            f"v_{n}",
            label=node_label(n),
            shape="ellipse" if is_lv else "box",
            style="filled",
            fillcolor=_LATENT_FILL if is_lv else _ITEM_FILL,
            pos=f"{x:.3f},{y:.3f}!",
            width="1.7" if is_lv else "1.2",
            height="0.95" if is_lv else "0.5",
            fixedsize="false",
            margin="0.06,0.04",
            penwidth="1.3",
        )

    # -- indicators
    err = 0
    top_row = tallest + 1.4
    if show_items:
        for lv in lvs:
            if lv not in pos:
                continue
            x, y = pos[lv]
            items = items_of.get(lv, [])
            k = len(items)
            for i, (item, load) in enumerate(items):
                if row_mode:
                    ix, iy = x + (i - (k - 1) / 2) * _ROW_DX, y - 1.7
                    ex, ey = ix, iy - 0.75
                elif level[lv] == 0 or level[lv] == last:
                    side = -1 if level[lv] == 0 and last > 0 else 1
                    ix, iy = x + side * _ITEM_DX, y + ((k - 1) / 2 - i) * _ITEM_DY
                    ex, ey = ix + side * 0.9, iy
                else:
                    side = 0
                    ix, iy = x + (i - (k - 1) / 2) * _ROW_DX, top_row
                    ex, ey = ix, iy + 0.75
                nid = f"i_{lv}_{item}"
                g.node(
                    nid,
                    label=item,
                    shape="box",
                    pos=f"{ix:.3f},{iy:.3f}!",
                    width="0.62",
                    height="0.32",
                    fixedsize="true",
                    fontsize="11",
                )
                g.edge(f"v_{lv}", nid, label=_fmt(load), fontsize="9", fontcolor="#444444", penwidth="0.8")
                if show_errors:
                    err += 1
                    eid = f"e_{lv}_{item}"
                    g.node(
                        eid,
                        label=f"e{err}",
                        shape="circle",
                        pos=f"{ex:.3f},{ey:.3f}!",
                        width="0.34",
                        fixedsize="true",
                        fontsize="9",
                    )
                    g.edge(eid, nid, penwidth="0.7", arrowsize="0.5")

    # -- structural paths
    for row in struct.itertuples(index=False):
        est = float(row.std_all)
        pv = row.pvalue
        g.edge(
            f"v_{row.rhs}",
            f"v_{row.lhs}",
            label=f"{_fmt(est)}{stars(pv)}",
            fontsize="12",
            penwidth="1.6",
            color="#1f4e79" if stars(pv) else "#8a8a8a",
            style="solid" if stars(pv) else "dashed",
        )

    # -- correlations among exogenous structural variables
    exo = [n for n in snodes if n not in endo]
    cov = p[(p["op"] == "~~") & (p["lhs"] != p["rhs"])]
    col0 = [n for n in by_level.get(0, [])]
    for row in cov.itertuples(index=False):
        a, b = str(row.lhs), str(row.rhs)
        if a not in exo or b not in exo:
            continue
        text = f"{_fmt(float(row.std_all))}{stars(row.pvalue)}"
        attrs = {"color": "#777777", "arrowsize": "0.5", "penwidth": "0.9", "fontsize": "10"}
        if row_mode:  # an arch above the row, its label at the top (height grows with the distance)
            ia, ib = snodes.index(a), snodes.index(b)
            mx = (pos[a][0] + pos[b][0]) / 2
            my = pos[a][1] + 0.8 + 0.55 * abs(ia - ib)
            lid = f"r_{a}_{b}"
            g.node(
                lid,
                label=text,
                shape="plaintext",
                fontsize="10",
                pos=f"{mx:.3f},{my:.3f}!",
                width="0.1",
                height="0.1",
                margin="0.01",
            )
            g.edge(lid, f"v_{a}", **attrs)
            g.edge(lid, f"v_{b}", **attrs)
            continue
        adjacent = a in col0 and b in col0 and abs(col0.index(a) - col0.index(b)) == 1
        attrs["dir"] = "both"
        if adjacent or a not in col0 or b not in col0:
            g.edge(f"v_{a}", f"v_{b}", label=text, **attrs)
        else:  # an arc past the variables in between: its label goes next to the arrow head
            g.edge(f"v_{a}", f"v_{b}", headlabel=text, labeldistance="3.2", labelangle="-30", **attrs)

    svg = g.pipe(format="svg", engine="neato").decode("utf-8")
    svg = svg[svg.index("<svg") :]
    # graphviz gives every node and edge a tooltip with its internal id (v_F1->i_F1_T11): not for readers
    svg = re.sub(r"<title>[^<]*</title>", "", svg)
    note = " ".join(
        [
            pgettext("charts", "Standardized estimates (std.all).", lang=code),
            pgettext(
                "charts",
                "*** p < 0.001, ** p < 0.01, * p < 0.05; dashed arrows: not significant at 0.05.",
                lang=code,
            ),
            pgettext("charts", "R²: share of variance explained.", lang=code),
        ]
    )
    return Chart(
        key=key,
        title=title
        or pgettext(
            "charts", "Path diagram of the structural equation model (standardized solution)", lang=code
        ),
        kind="svg",
        svg=svg,
        note=note,
    )
