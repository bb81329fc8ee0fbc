"""R-square of the endogenous variables, with negative residual variances reported as NA."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cbeclab.i18n import _
from cbeclab.sem.ml import Array

__all__ = ["r_square"]


def r_square(resid: Array, total: Array, names: Sequence[str], notes: list[str]) -> pd.Series:
    """R-square ``1 - resid / total`` of each endogenous variable; NaN, with a note appended to
    ``notes``, where the residual variance is negative (an improper solution: lavaan would print a
    value above 1).  Checked by hand in ``tests/test_sem_semextra.py``."""
    resid = np.asarray(resid, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = 1.0 - resid / np.asarray(total, dtype=float)
    for i in np.flatnonzero(resid < 0):
        r2[i] = np.nan
        shown = format(float(resid[i]), ".4g")
        notes.append(
            _(
                "R-square of {name} is not reported (NA): its residual variance is negative ({value}), "
                "so the solution is improper",
                name=names[int(i)],
                value=shown,
            )
        )
    return pd.Series(r2, index=list(names), name="r2", dtype=float)
