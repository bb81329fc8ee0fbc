"""Guangzhou goods trade, seed 001 Tables 1 and 2 (real published figures).

* Table 1: total value of Guangzhou's goods imports and exports, 2010–2022, with the import + export
  sum of each of the five clusters (2010–2021).
* Table 2: imports and exports of the five clusters — textile & clothing, beauty & daily chemical,
  luggage & leather, jewelry, food & beverage — 2010–2021 (the paper's Table 2 has no 2022 row).

Unit: 10,000 US dollars. The CSV files under ``datasets/data/`` were transcribed cell by cell as
published and carry their provenance in ``#`` header lines; the loaders copy it to ``df.attrs``
(``source``, ``table``, ``seed_file``, ``unit``, ``notes``).

Published inconsistency kept as published: Table 1, 2022: imports 7,967,832 + exports 9,953,542 =
17,921,374, while the printed total is 17,945,204 (difference 23,830). :func:`guangzhou_totals` keeps
the printed values, emits a :class:`~cbeclab.errors.CbecWarning` and adds a note naming the year and
the gap. Every other Table 1 row adds up, and every Table 1 cluster sum equals the Table 2 imports +
exports of that cluster and year (checked on load).
"""

from __future__ import annotations

import warnings
from importlib import resources
from io import StringIO
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml

from cbeclab.errors import CbecWarning, DataError
from cbeclab.i18n import _

__all__ = ["CLUSTERS", "guangzhou_totals", "guangzhou_trade", "UNIT", "SEED_FILE"]

UNIT = "10,000 USD"
SEED_FILE = "001_02c9458e3ca4cd64.txt"


def _clusters() -> dict[str, tuple[str, str]]:
    ref = resources.files("cbeclab.datasets").joinpath("data", "guangzhou_clusters.yaml")
    raw = yaml.safe_load(ref.read_text(encoding="utf-8"))
    return {str(k): (str(v["en"]), str(v["zh"])) for k, v in raw.items()}


#: Cluster id → (English name, Chinese name), in the paper's order (``data/guangzhou_clusters.yaml``,
#: which :mod:`cbeclab.i18n.names` reads too without importing this package).
CLUSTERS: dict[str, tuple[str, str]] = _clusters()


def _read(name: str) -> tuple[pd.DataFrame, list[str]]:
    ref = resources.files("cbeclab.datasets").joinpath("data", name)
    with ref.open("r", encoding="utf-8") as fh:
        text = fh.read()
    header = [ln[1:].strip() for ln in text.splitlines() if ln.startswith("#")]
    df = pd.read_csv(StringIO(text), comment="#")
    return df, header


def _table1_raw() -> pd.DataFrame:
    df, header = _read("guangzhou_table1.csv")
    df["year"] = df["year"].astype(int)
    for c in df.columns[1:]:
        df[c] = df[c].astype(float)
    df.attrs.update(
        {
            "source": "seed 001, Table 1",
            "table": "Table 1",
            "seed_file": SEED_FILE,
            "unit": UNIT,
            "header": header,
        }
    )
    return df


def _table2_raw() -> pd.DataFrame:
    df, header = _read("guangzhou_table2.csv")
    df["year"] = df["year"].astype(int)
    df["imports"] = df["imports"].astype(float)
    df["exports"] = df["exports"].astype(float)
    unknown = sorted(set(df["cluster"]) - set(CLUSTERS))
    if unknown:  # a corrupted package file, not user input
        raise DataError(
            _("unknown cluster ids {unknown}", unknown=unknown), where="datasets/data/guangzhou_table2.csv"
        )
    df.attrs.update(
        {
            "source": "seed 001, Table 2",
            "table": "Table 2",
            "seed_file": SEED_FILE,
            "unit": UNIT,
            "header": header,
        }
    )
    return df


def guangzhou_totals(*, warn: bool = True) -> pd.DataFrame:
    """Seed 001 Table 1: Guangzhou goods trade totals 2010–2022 (unit 10,000 USD).

    Columns: ``year, total, imports, exports`` as printed, the five cluster sums
    (``textile_clothing`` ... ``food_beverage``; NaN in 2022, not published), and ``balance`` =
    exports − imports.

    Rows where imports + exports differ from the printed total (2022) are kept as published; a
    :class:`~cbeclab.errors.CbecWarning` is emitted (``warn=False`` silences it) and
    ``attrs["notes"]`` names the year and the gap.

    Examples
    --------
    >>> t = guangzhou_totals(warn=False)
    >>> int(t.loc[t.year == 2010, "total"].iloc[0])
    10376756
    """
    df = _table1_raw()
    df["balance"] = df["exports"] - df["imports"]
    gap = df["total"] - (df["imports"] + df["exports"])
    notes: list[str] = []
    for year, g, tot, im, ex in zip(df["year"], gap, df["total"], df["imports"], df["exports"]):
        if g != 0:
            notes.append(
                _(
                    "Table 1, {year}: imports {im:,.0f} + exports {ex:,.0f} = {v1:,.0f}, but the published total is {tot:,.0f} (difference {g:+,.0f}); published values kept",
                    year=year,
                    im=im,
                    ex=ex,
                    v1=im + ex,
                    tot=tot,
                    g=g,
                )
            )
    if notes and warn:
        for n in notes:
            warnings.warn(_("seed 001: {note}", note=n), CbecWarning, stacklevel=2)
    df.attrs["notes"] = notes
    df.attrs["description"] = "Total value of goods imports and exports of Guangzhou"
    return df


def _check_table2_against_table1(t2: pd.DataFrame, t1: pd.DataFrame) -> list[str]:
    notes: list[str] = []
    long1 = t1.melt(id_vars="year", value_vars=list(CLUSTERS), var_name="cluster", value_name="t1_sum")
    merged = t2.merge(long1.dropna(), on=["year", "cluster"], how="left")
    bad = merged[merged["t1_sum"].notna() & (merged["t1_sum"] != merged["imports"] + merged["exports"])]
    for cl, yr, im, ex, t1s in zip(
        bad["cluster"], bad["year"], bad["imports"], bad["exports"], bad["t1_sum"]
    ):
        notes.append(
            _(
                "Table 2 {cl} {yr}: imports + exports = {v1:,.0f} but the Table 1 sum is {v2:,.0f}",
                cl=cl,
                yr=yr,
                v1=float(im) + float(ex),
                v2=float(t1s),
            )
        )
    return notes


def guangzhou_trade(
    layout: Literal["wide", "long"] = "wide", *, lang: Literal["id", "en", "zh"] = "id"
) -> pd.DataFrame:
    """Seed 001 Table 2: imports and exports of five Guangzhou clusters, 2010–2021 (10,000 USD).

    Parameters
    ----------
    layout
        ``"wide"``: one row per cluster-year with ``cluster, year, exports, imports, total, balance``
        (ready for ``load_panel(df, entity="cluster", period="year")``). ``"long"``: ``cluster, year,
        indicator, value``.
    lang
        Cluster labels: ids (``textile_clothing``), English or Chinese names.

    Notes
    -----
    ``total`` = imports + exports and ``balance`` = exports − imports are computed. On load each
    total is checked against the cluster sum printed in Table 1 (all 60 agree); any disagreement would
    be warned about and noted in ``attrs["notes"]``. The paper has no 2022 cluster row.

    Examples
    --------
    >>> t = guangzhou_trade()
    >>> t.loc[(t.cluster == "jewelry") & (t.year == 2016), ["imports", "exports"]].to_numpy().tolist()
    [[324920.0, 488929.0]]
    """
    t2 = _table2_raw()
    t1 = _table1_raw()
    notes = _check_table2_against_table1(t2, t1)
    for n in notes:
        warnings.warn(_("seed 001: {note}", note=n), CbecWarning, stacklevel=2)
    df = t2.assign(total=t2["imports"] + t2["exports"], balance=t2["exports"] - t2["imports"])
    rank = df["cluster"].map({c: k for k, c in enumerate(CLUSTERS)})
    df = df.assign(_rank=rank).sort_values(["_rank", "year"])
    df = df[["cluster", "year", "exports", "imports", "total", "balance"]].reset_index(drop=True)
    if lang != "id":
        k = 0 if lang == "en" else 1
        df["cluster"] = df["cluster"].map({c: names[k] for c, names in CLUSTERS.items()})
    attrs: dict[str, Any] = {
        "source": "seed 001, Table 2",
        "table": "Table 2 (checked against Table 1 cluster sums)",
        "seed_file": SEED_FILE,
        "unit": UNIT,
        "notes": notes,
        "clusters": {c: {"en": en, "zh": zh} for c, (en, zh) in CLUSTERS.items()},
    }
    if layout == "long":
        out = df.melt(id_vars=["cluster", "year"], var_name="indicator", value_name="value")
        out = out.reset_index(drop=True)
        out.attrs.clear()
        out.attrs.update(attrs)
        return out
    if layout != "wide":
        raise DataError(
            _("unknown layout {layout!r}", layout=layout),
            where="guangzhou_trade(layout=...)",
            fix=_("use 'wide' or 'long'"),
        )
    values = df[["exports", "imports", "total", "balance"]].to_numpy(dtype=float)
    if not np.isfinite(values).all():  # the bundled table is complete; guards a damaged install
        raise DataError(_("bundled Table 2 has empty cells"), where="datasets/data/guangzhou_table2.csv")
    df.attrs.clear()
    df.attrs.update(attrs)
    return df
