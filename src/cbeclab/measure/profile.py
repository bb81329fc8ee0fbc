"""Sample profile: counts and percentages of the categories of background questions (性别, 企业规模 …).

Codes are shown with their SPSS value labels when the data came from a ``.sav`` file (read_table keeps
them in ``attrs["value_labels"]``), otherwise as they are.  Missing answers get their own row so the
percentages of a question add up to 100 over all respondents.  Checked by hand in tests/test_measure_cmb.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from cbeclab.errors import DataError
from cbeclab.i18n import _

__all__ = ["sample_profile"]


def sample_profile(
    data: pd.DataFrame,
    columns: Sequence[str],
    *,
    value_labels: Mapping[str, Mapping[Any, str]] | None = None,
) -> pd.DataFrame:
    """One row per (question, category): ``variable, category, n, percent`` (percent of all rows)."""
    labels = dict(value_labels if value_labels is not None else data.attrs.get("value_labels", {}) or {})
    rows: list[dict[str, Any]] = []
    total = len(data)
    for col in columns:
        if col not in data.columns:
            raise DataError(
                _("the profile column {col!r} is not in the data", col=col),
                where=f"profile: {col}",
                fix=_("use one of the data's column names"),
            )
        s = data[col]
        vl = {_norm(k): str(v) for k, v in (labels.get(col) or {}).items()}
        counts = s.dropna().map(_norm).value_counts(sort=False)
        order = [k for k in vl if k in counts.index] + sorted(
            (k for k in counts.index if k not in vl), key=lambda v: (isinstance(v, str), v)
        )
        for k in order:
            n = int(counts[k])
            rows.append(
                {"variable": col, "category": vl.get(k, str(k)), "n": n, "percent": 100.0 * n / total}
            )
        n_na = int(s.isna().sum())
        if n_na:
            rows.append(
                {"variable": col, "category": _("missing"), "n": n_na, "percent": 100.0 * n_na / total}
            )
    return pd.DataFrame(rows, columns=["variable", "category", "n", "percent"])


def _norm(v: Any) -> Any:
    """1.0 and 1 are one category (SPSS stores codes as floats)."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v
