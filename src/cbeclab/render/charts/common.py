"""Shared pieces of the chart builders: theme, palette, display names, limits, spec helpers.

Builders only present numbers that the models computed. Aggregation done here (top/bottom N,
quantiles across entities per period, histogram counts) is about what to draw, so that a chart of
3,000 entities stays small; the full tables stay in the results.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cbeclab.i18n import resolve_lang
from cbeclab.render.charts.base import CHART_FONT, VEGA_LITE_VERSION, Chart

if TYPE_CHECKING:  # altair is imported by the builders that use it (not by the engine charts)
    import altair as alt

__all__ = [
    "CONTEXT",
    "LINE_MAX",
    "OKABE_ITO",
    "TOP_N",
    "chart",
    "display",
    "finite_records",
    "grade_bands",
    "theme",
]

#: gettext context (``msgctxt``) of the chart texts, written literally in each ``pgettext("charts", ...)``
#: call so that extraction sees it; it keeps chart wording apart from same-worded texts elsewhere
CONTEXT = "charts"


#: colour-blind-safe categorical palette (Okabe & Ito 2008), used for entities and subsystems
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
#: at most this many entities get one line (or one panel) each; above it the many-entity charts are used
LINE_MAX = 8
#: how many entities a many-entity ranking or heat map shows at each end (top N and bottom N)
TOP_N = 15
#: at most this many panels in one faceted chart
FACET_MAX = 8


def theme(width: int = 420, height: int = 240) -> dict[str, Any]:
    """The Vega-Lite ``config`` of every chart: CJK font, readable sizes, no chart border."""
    return {
        "font": CHART_FONT,
        "view": {"continuousWidth": width, "continuousHeight": height, "stroke": "transparent"},
        "axis": {"labelFontSize": 11, "titleFontSize": 12, "gridColor": "#e6e8ec", "labelLimit": 220},
        "legend": {
            "labelFontSize": 11,
            "titleFontSize": 12,
            "labelLimit": 420,
            "orient": "bottom",
            "columns": 4,
            "symbolLimit": 60,
        },
        "header": {"labelFontSize": 12, "titleFontSize": 12},
        "title": {"fontSize": 13, "anchor": "start"},
        "range": {"category": list(OKABE_ITO)},
        "axisX": {"labelAngle": 0},
        "background": "white",
        "padding": 8,
    }


def chart(
    key: str, title: str, obj: Any, *, note: str | None = None, width: int = 420, height: int = 240
) -> Chart:
    """Wrap an altair chart (or a finished Vega-Lite mapping) as a :class:`Chart` with the theme.

    Every spec gets the ``$schema`` of :data:`~cbeclab.render.charts.base.VEGA_LITE_VERSION` (the
    Vega-Lite of the installed altair, which a test checks), so a mapping needs no altair import.
    """
    spec = obj if isinstance(obj, dict) else obj.to_dict(validate=True)
    spec = dict(spec)
    merged = dict(spec.get("config", {}))  # altair adds its default view size here; the theme wins
    for k, v in theme(width, height).items():
        merged[k] = {**merged[k], **v} if isinstance(v, dict) and isinstance(merged.get(k), dict) else v
    spec["config"] = merged
    spec.pop("$schema", None)
    spec["$schema"] = f"https://vega.github.io/schema/vega-lite/v{VEGA_LITE_VERSION}.json"
    return Chart(key=key, title=title, kind="vega-lite", spec=spec, note=note)


def display(name: Any, names: Mapping[str, Any] | None, lang: str, kind: str | None = "subsystem") -> str:
    """Display name of a data name (subsystem, construct, dimension) in ``lang``.

    ``names`` maps a name to a string or to ``{en: ..., zh: ...}`` (as the framework, survey and
    profile YAML files write them). Without an entry, :func:`cbeclab.i18n.names.display_name` of
    ``kind`` is used (the bundled frameworks' names), else the name itself.
    """
    key = str(name)
    if names is not None and key in names:
        v = names[key]
        if isinstance(v, Mapping):
            return str(v.get(lang) or v.get("en") or key)
        if v:
            return str(v)
    if kind is None:
        return key
    from cbeclab.i18n.names import display_name

    return str(display_name(kind, key, lang))


def entity_names(keys: Sequence[Any], lang: str) -> dict[str, str]:
    """Display names of entity values that a bundled dataset names (by key or by any of its names).

    A user's own entity names are returned as they are; only the changed ones are in the result.
    """
    from cbeclab.i18n.names import names_of

    known = names_of("entity")
    by_any: dict[str, Mapping[str, str]] = {}
    for k, v in known.items():
        by_any.setdefault(str(k), v)
        for name in v.values():
            by_any.setdefault(str(name), v)
    out: dict[str, str] = {}
    for key in dict.fromkeys(str(k) for k in keys):
        rec = by_any.get(key)
        if rec is not None:
            label = rec.get(lang) or rec.get("en") or key
            if label != key:
                out[key] = str(label)
    return out


def finite_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-safe dicts: numpy scalars to Python, NaN/inf to ``None``, floats to 6 digits."""
    out: list[dict[str, Any]] = []
    cols = list(df.columns)
    for row in df.itertuples(index=False, name=None):
        rec: dict[str, Any] = {}
        for c, v in zip(cols, row):
            if isinstance(v, np.generic):
                v = v.item()
            if isinstance(v, float):
                v = round(v, 6) if math.isfinite(v) else None
            elif v is pd.NA or v is pd.NaT:
                v = None
            elif not isinstance(v, (int, str, bool, type(None))):
                v = str(v)
            rec[str(c)] = v
        out.append(rec)
    return out


def data(df: pd.DataFrame) -> Any:
    """Inline data for a spec (a plain ``{"values": [...]}``: no dataset hashing, no per-row validation)."""
    return {"values": finite_records(df)}


def display_all(values: Any, names: Mapping[str, Any] | None, lang: str) -> list[str]:
    """:func:`display` of each value, looking each distinct value up once."""
    vals = [str(v) for v in values]
    table = {v: display(v, names, lang) for v in dict.fromkeys(vals)}
    return [table[v] for v in vals]


def grade_bands(lang: str) -> pd.DataFrame:
    """The ten coupling-coordination grades as bands: ``grade``, ``lower``, ``upper``, ``label``."""
    from cbeclab.models.coupling import grade_scale

    g = grade_scale()
    code = resolve_lang(lang)
    labels = g[code] if code in g.columns else g["en"]
    return pd.DataFrame(
        {
            "grade": g["grade"].astype(int),
            "lower": g["lower"].astype(float),
            "upper": g["upper"].astype(float),
            "label": [f"{int(k)} {s}" for k, s in zip(g["grade"], labels)],
        }
    )


def grade_colour_scale(bands: pd.DataFrame) -> alt.Scale:
    """Red (extreme imbalance) to green (high-quality coordination), one colour a grade."""
    import altair as alt

    return alt.Scale(**grade_colour_spec(bands))


def grade_colour_spec(bands: pd.DataFrame) -> dict[str, Any]:
    """:func:`grade_colour_scale` as a Vega-Lite scale mapping (no altair needed)."""
    return {"domain": [str(v) for v in bands["label"]], "scheme": "redyellowgreen"}


def pick_label(obj: Any, lang: str, stem: str = "") -> str:
    """``obj.<stem><lang>`` or ``obj[<stem><lang>]`` (data with en/zh fields), English as fallback."""
    code = resolve_lang(lang)
    for k in (f"{stem}{code}", f"{stem}en"):
        v = obj.get(k) if isinstance(obj, Mapping) else getattr(obj, k, None)
        if v:
            return str(v)
    return ""


def period_sort(values: Sequence[Any]) -> list[Any]:
    """Periods in their natural order (numbers numerically, other labels as given)."""
    uniq = list(dict.fromkeys(values))
    try:
        return sorted(uniq, key=lambda x: float(x))
    except (TypeError, ValueError):
        return uniq


def period_x(periods: Sequence[Any], title: str, field: str = "period") -> alt.X:
    """x encoding of periods: a year axis (integer ticks) when periods are numbers, else ordered labels
    (:func:`period_x_spec` as an altair channel, for the builders that use altair)."""
    import altair as alt

    return alt.X.from_dict(period_x_spec(periods, title, field))


def period_x_spec(periods: Sequence[Any], title: str, field: str = "period") -> dict[str, Any]:
    """:func:`period_x` as a Vega-Lite channel mapping (no altair needed; the same axis and scale)."""
    order = period_sort(list(periods))
    try:
        nums = [float(p) for p in order]
    except (TypeError, ValueError):
        nums = []
    if nums and all(float(n).is_integer() for n in nums):
        return {
            "field": field,
            "type": "quantitative",
            "title": title,
            "scale": {"zero": False, "nice": False, "domain": [min(nums), max(nums)]},
            "axis": {"format": "d", "tickMinStep": 1},
        }
    return {
        "field": field,
        "type": "ordinal",
        "title": title,
        "sort": [v.item() if isinstance(v, np.generic) else v for v in order],
        "axis": {"labelAngle": -45 if len(order) > 8 else 0},
    }


def shorten(text: str, n: int = 18) -> str:
    """``text`` cut to ``n`` characters with an ellipsis (full text stays in the tooltip)."""
    return text if len(text) <= n else text[: n - 1] + "…"
