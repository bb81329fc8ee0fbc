"""Input checks and small matrix helpers shared by the ``measure`` modules (private)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cbeclab.errors import DataError, ModelError
from cbeclab.i18n import _
from cbeclab.jsonsafe import json_safe as _json_safe


def item_frame(data: Any, *, where: str, min_items: int = 2) -> pd.DataFrame:
    """Return ``data`` as a float ``DataFrame`` of items (columns), or raise :class:`DataError`."""
    if isinstance(data, pd.DataFrame):
        df = data
    elif isinstance(data, np.ndarray) and data.ndim == 2:
        df = pd.DataFrame(data, columns=[f"V{i + 1}" for i in range(data.shape[1])])
    else:
        raise DataError(
            _(
                "expected a DataFrame (rows = respondents, columns = items), got {name}",
                name=type(data).__name__,
            ),
            where=where,
            fix=_("pass a pandas DataFrame or a 2-D numpy array"),
        )
    bad = [str(c) for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    if bad:
        raise DataError(
            _("non-numeric item column(s): {v1}", v1=", ".join(bad)),
            where=f"{where}, column {bad[0]}",
            fix=_("recode the answers as numbers (e.g. Likert 1-5) or drop the column"),
        )
    if df.shape[1] < min_items:
        raise DataError(
            _("need at least {min_items} items, got {v1}", min_items=min_items, v1=df.shape[1]),
            where=where,
            fix=_("select more item columns"),
        )
    out = df.astype(float)
    out.columns = [str(c) for c in out.columns]
    sd = out.std(ddof=1)
    flat = [c for c in out.columns if not (sd[c] > 0)]
    if flat:
        raise DataError(
            _("item(s) without variance: {v1}", v1=", ".join(flat)),
            where=f"{where}, column {flat[0]}",
            fix=_("drop constant items (every respondent gave the same answer)"),
        )
    return out


def correlation_input(
    data: Any = None, *, corr: Any = None, n_obs: int | None = None, where: str
) -> tuple[np.ndarray, list[str], int | None]:
    """Correlation matrix, item names and sample size from raw data *or* a correlation matrix.

    Raw data use pairwise-complete Pearson correlations, as ``cor(x, use = "pairwise")`` in psych.
    """
    if (data is None) == (corr is None):
        raise DataError(
            _("give exactly one of `data` (raw item scores) or `corr` (a correlation matrix)"),
            where=where,
            fix=_("pass data=DataFrame, or corr=matrix together with n_obs="),
        )
    if data is not None:
        df = item_frame(data, where=where)
        r = df.corr(method="pearson", min_periods=2).to_numpy(dtype=float)
        if np.isnan(r).any():
            raise DataError(
                _("some item pairs have fewer than 2 joint answers, so their correlation is undefined"),
                where=where,
                fix=_("drop items with almost no answers"),
            )
        # psych counts every row as an observation (fa: n.obs = nrow(x)), missing cells or not.
        n = int(df.shape[0]) if n_obs is None else int(n_obs)
        return r, list(df.columns), n
    if isinstance(corr, pd.DataFrame):
        names = [str(c) for c in corr.columns]
        r = corr.to_numpy(dtype=float)
    else:
        r = np.asarray(corr, dtype=float)
        names = [f"V{i + 1}" for i in range(r.shape[0])] if r.ndim == 2 else []
    if r.ndim != 2 or r.shape[0] != r.shape[1]:
        raise DataError(_("correlation matrix must be square, got shape {shape}", shape=r.shape), where=where)
    if not np.allclose(r, r.T, atol=1e-8) or np.isnan(r).any():
        raise DataError(
            _("correlation matrix must be symmetric without missing cells"),
            where=where,
            fix=_("check the matrix was pasted completely"),
        )
    d = np.sqrt(np.diag(r))
    if not np.all(d > 0):
        raise DataError(_("matrix has a zero or negative diagonal entry"), where=where)
    r = r / np.outer(d, d)
    return r, names, None if n_obs is None else int(n_obs)


def smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations ``1 - 1/diag(R^-1)`` (psych::smc, pseudo-inverse, clipped to [0, 1])."""
    inv = np.linalg.pinv(r)
    out = 1.0 - 1.0 / np.diag(inv)
    return np.clip(out, 0.0, 1.0)


def sym_eigh(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (descending) and vectors of a symmetric matrix, like R's ``eigen(symmetric=TRUE)``."""
    vals, vecs = np.linalg.eigh((a + a.T) / 2.0)
    order = np.argsort(vals)[::-1]
    return vals[order], vecs[:, order]


def require_pd(r: np.ndarray, *, where: str) -> None:
    """Raise :class:`ModelError` if ``r`` is singular (determinant <= 0)."""
    sign, _unused = np.linalg.slogdet(r)
    if sign <= 0:
        raise ModelError(
            _("the correlation matrix is singular (an item is a linear combination of others)"),
            where=where,
            fix=_("drop duplicated or summed items, or collect more cases than items"),
        )


def json_safe(value: Any) -> Any:
    """JSON-safe conversion with labelled matrices (loadings, correlations) kept as row -> column maps."""
    return _json_safe(value, frames="index")
