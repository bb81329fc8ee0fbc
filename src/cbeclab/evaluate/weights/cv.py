"""Coefficient-of-variation weights: ``w_j = CV_j / sum_k CV_k`` with ``CV_j = sd_j / |mean_j|``.

Computed on the raw data of each scope group (sample sd, ``ddof = 1``). The CV is scale-free, so an
indicator measured in yuan and one in percent are comparable, but it is direction-free (a cost indicator
weighs like a benefit one) and it needs a mean away from zero: a zero mean raises ``DataError``. For
data with mixed signs the CV is hard to read; a note flags such indicators.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cbeclab.errors import DataError
from cbeclab.evaluate._scope import describe_groups, prepare, require_rows
from cbeclab.evaluate.weights.result import WeightResult, group_frame
from cbeclab.i18n import _


def cv_weights(
    X: pd.DataFrame, directions: Mapping[str, Any] | None = None, *, scope: str = "pooled"
) -> WeightResult:
    """Coefficient-of-variation weights on raw data.

    Parameters
    ----------
    X
        Panel matrix; directions are accepted for a uniform interface but not used (CV has no direction).
    scope
        ``"pooled"`` or ``"per_entity"``.

    Returns
    -------
    WeightResult
        ``details``: ``mean``, ``sd`` (sample), ``cv``.

    Notes
    -----
    ``CV_j = s_j / |xbar_j|``, ``w_j = CV_j / sum_k CV_k``. The mean guard: ``|xbar_j|`` must exceed
    ``1e-12 * max |x_.j|`` in every group. A constant indicator has ``CV = 0`` and weight 0.

    Checked against: hand calculation (tests/test_weights_simple.py) and base R (tests/fixtures/r/evaluate_mcda.R).

    Examples
    --------
    >>> import pandas as pd
    >>> cv_weights(pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [10.0, 10.0, 13.0]})).table.round(4).to_dict("records")
    [{'a': 0.7605, 'b': 0.2395}]
    """
    sc, _unused = prepare(X, directions, scope)
    require_rows(sc, 2, "the coefficient of variation")
    a = sc.cube
    mean = sc.mean(a)
    sd = sc.std(a, ddof=1)
    scale = np.maximum(np.abs(sc.max(a)), np.abs(sc.min(a)))
    zero = ~(np.abs(mean) > 1e-12 * scale)
    zero &= scale > 0  # an all-zero column is constant: CV 0
    if zero.any():
        items, where, _groups = describe_groups(sc, zero)
        raise DataError(
            _("the mean of {items} is zero, so its coefficient of variation is undefined.", items=items),
            where=where,
            fix=_("use method='entropy' or 'critic', or drop the indicator."),
        )
    cv = np.where(scale > 0, sd / np.where(scale > 0, np.abs(mean), 1.0), 0.0)
    total = cv.sum(axis=1, keepdims=True)
    bad = np.flatnonzero(~(total[:, 0] > 0))
    if bad.size:
        where = "X" if sc.scope == "pooled" else f"entity {sc.group_label(int(bad[0]))!r}"
        raise DataError(
            _("CV weights are undefined in {where}: every indicator is constant.", where=where),
            where=where,
            fix=_("use indicators that vary, or scope='pooled'."),
        )
    mixed = (sc.min(a) < 0) & (sc.max(a) > 0)
    notes: tuple[str, ...] = ()
    if mixed.any():
        names = sorted({sc.indicators[k] for k in np.nonzero(mixed)[1]})
        notes = (
            "indicator(s) with both negative and positive values: "
            + ", ".join(names)
            + "; their coefficient of variation depends on where zero lies.",
        )
    return WeightResult(
        method="cv",
        scope=scope,
        table=group_frame(sc, cv / total),
        details={"mean": group_frame(sc, mean), "sd": group_frame(sc, sd), "cv": group_frame(sc, cv)},
        notes=notes,
    )
