"""CRITIC weights (CRiteria Importance Through Intercriteria Correlation; Diakoulaki et al. 1995).

For each scope group and indicator ``j``:

1. min–max by direction: ``z_ij`` (see :mod:`cbeclab.evaluate.normalize`); with ``standardize=False`` the
   values as given (SPSSAU's CRITIC leaves standardisation to the user);
2. contrast intensity: ``sigma_j`` = standard deviation of ``z_.j``;
3. conflict: ``sum_k (1 - r_jk)`` with ``r_jk`` the Pearson correlation of ``z_.j`` and ``z_.k``;
4. information: ``C_j = sigma_j * sum_k (1 - r_jk)``;
5. weight: ``w_j = C_j / sum_k C_k``.

Which standard deviation: the sample sd (``ddof = 1``) is reported in ``details["sd"]``. The choice does
not change the weights: the population sd differs by the factor ``sqrt((m - 1) / m)`` common to every
indicator of a group, and it cancels in ``C_j / sum_k C_k``.

Reference: Diakoulaki, D., Mavrotas, G., Papayannakis, L. (1995). Determining objective weights in
multiple criteria problems: the CRITIC method. Computers & Operations Research 22(7), 763-770.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cbeclab.compat import resolve
from cbeclab.errors import DataError
from cbeclab.evaluate._scope import Scoped, prepare, require_rows
from cbeclab.evaluate.normalize import _check_options, minmax_cube, require_benefit
from cbeclab.evaluate.weights.result import WeightResult, group_frame
from cbeclab.i18n import _


def critic_arrays(
    sc: Scoped, signs: np.ndarray, on_constant: str = "raise", standardize: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(sd, conflict, C, w)`` each ``(G, K)`` and the correlations ``r`` ``(G, K, K)``."""
    require_rows(sc, 3, "the CRITIC method")
    z = minmax_cube(sc, signs, 0.0, on_constant) if standardize else np.array(sc.cube, dtype=float)
    mean = sc.mean(z)
    zc = z - mean[:, None, :]
    if sc.padded:
        zc = np.nan_to_num(zc, nan=0.0)
    cov = np.matmul(zc.transpose(0, 2, 1), zc) / (sc.n()[:, :, None] - 1.0)  # (G, K, K)
    sd = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 0.0, None))  # (G, K), sample sd
    const = ~(sd > 0)
    sd_safe = np.where(const, 1.0, sd)
    r = cov / (sd_safe[:, :, None] * sd_safe[:, None, :])
    # a constant column (on_constant="zero") has no correlation: take it out of the conflict sums
    if const.any():
        r = np.where(const[:, :, None] | const[:, None, :], 1.0, r)
    r = np.clip(r, -1.0, 1.0)
    conflict = (1.0 - r).sum(axis=2)
    info = sd * conflict
    total = info.sum(axis=1, keepdims=True)
    bad = np.flatnonzero(~(total[:, 0] > 0))
    if bad.size:
        where = "X" if sc.scope == "pooled" else f"entity {sc.group_label(int(bad[0]))!r}"
        raise DataError(
            _(
                "CRITIC weights are undefined in {where}: the information C_j = sd_j * sum(1 - r_jk) is 0 for every indicator (all constant, or a single indicator perfectly correlated with itself).",
                where=where,
            ),
            where=where,
            fix=_(
                "use at least two indicators that vary and are not perfectly correlated, or another method."
            ),
        )
    return sd, conflict, info, info / total, r


def critic_weights(
    X: pd.DataFrame,
    directions: Mapping[str, Any],
    *,
    scope: str = "pooled",
    on_constant: str = "raise",
    standardize: bool | None = None,
    compat: str | None = None,
) -> WeightResult:
    """CRITIC weights ``w_j = C_j / sum_k C_k`` with ``C_j = sigma_j * sum_k (1 - r_jk)``.

    Parameters
    ----------
    X, directions
        Panel matrix and ``indicator -> +1 | -1``.
    scope
        ``"pooled"`` or ``"per_entity"`` (needs at least 3 rows per entity).
    on_constant
        ``"raise"`` (default) or ``"zero"`` (a constant column gets weight 0 and is left out of the other
        columns' conflict sums).
    standardize
        ``True`` (default): min–max by direction first. ``False``: the values as given (benefit indicators
        only); the sd then carries the units of each column, so the weights depend on the scaling the user
        chose beforehand.
    compat
        ``"spssau"``: ``standardize=False`` unless given.

    Returns
    -------
    WeightResult
        ``details``: ``sd`` (sample sd of the min–max values), ``conflict`` (``sum_k (1 - r_jk)``),
        ``information`` (``C_j``), ``r`` (Pearson correlations, rows ``(group, indicator)``).

    Notes
    -----
    Source: Diakoulaki et al. (1995), formulas (5)-(7). The sd choice (sample) cancels in the weights.

    Checked against: hand calculation on a 4 x 3 matrix (tests/test_weights_critic.py; standardize=False by
    hand in tests/test_compat_spssau.py) and base R ``sd()`` /
    ``cor()``, pooled and per entity (tests/fixtures/r/evaluate_mcda.R; max |diff| < 1e-15).

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 5.0], "b": [4.0, 1.0, 3.0, 2.0], "c": [2.0, 2.0, 6.0, 4.0]})
    >>> critic_weights(X, {"a": 1, "b": -1, "c": 1}).table.round(4).to_dict("records")
    [{'a': 0.2309, 'b': 0.3852, 'c': 0.3839}]
    """
    _check_options("minmax", on_constant, 0.0)
    std = bool(resolve("critic", compat, {"standardize": True}, standardize=standardize)["standardize"])
    sc, signs = prepare(X, directions, scope)
    if not std:
        require_benefit(signs, sc.indicators, "CRITIC")
    sd, conflict, info, w, r = critic_arrays(sc, signs, on_constant, std)
    k = len(sc.indicators)
    r_index = pd.MultiIndex.from_arrays(
        [
            np.repeat(np.asarray(sc.groups, dtype=object), k),
            np.tile(np.asarray(sc.indicators, dtype=object), len(sc.groups)),
        ],
        names=["group", "indicator"],
    )
    details = {
        "sd": group_frame(sc, sd),
        "conflict": group_frame(sc, conflict),
        "information": group_frame(sc, info),
        "r": pd.DataFrame(r.reshape(-1, k), index=r_index, columns=list(sc.indicators)),
    }
    return WeightResult(method="critic", scope=scope, table=group_frame(sc, w), details=details)
