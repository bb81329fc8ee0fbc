"""Discriminant validity: Fornell-Larcker table and the heterotrait-monotrait ratio (HTMT).

**Fornell-Larcker** (1981): construct ``i`` is discriminant when ``sqrt(AVE_i)`` exceeds its
correlation with every other construct, ``|phi_ij| < sqrt(AVE_i)`` for all ``j != i``. The table follows
seed 000 Table 2: ``sqrt(AVE)`` on the diagonal, latent correlations below it, blank above.

**HTMT** (Henseler, Ringle & Sarstedt 2015): for constructs ``i, j`` with item sets ``I, J``,
``HTMT_ij = mean_{a in I, b in J} r_ab / sqrt(mean_{a<a' in I} r_aa' * mean_{b<b' in J} r_bb')``
(heterotrait-heteromethod mean over the geometric mean of the two monotrait-heteromethod means;
absolute correlations by default, as semTools). ``htmt2=True`` gives HTMT2 (Roemer, Schuberth &
Henseler 2021): geometric instead of arithmetic means. Note semTools 0.5-6 ``htmt()`` defaults to
``htmt2 = TRUE``; our default is Henseler's original HTMT. Cut-off 0.85 (0.90 liberal).

Source: seed 000 §4.2, Table 2 (AVE and Fornell-Larcker). Checked against: semTools::htmt 0.5-6 on the
synthetic Yongkang survey (``tests/fixtures/psych_yongkang.json``) and seed 000 Table 2 (hand).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cbeclab.errors import DataError
from cbeclab.i18n import _
from cbeclab.measure._common import item_frame, json_safe
from cbeclab.measure.reliability import composite_reliability, thresholds

__all__ = ["FornellLarckerResult", "HTMTResult", "fornell_larcker", "htmt"]


@dataclass(frozen=True)
class FornellLarckerResult:
    """``table`` (Table 2 layout), ``ave`` per construct and the list of ``violations``."""

    table: pd.DataFrame
    ave: pd.Series
    violations: tuple[dict[str, Any], ...]

    @property
    def passed(self) -> bool:
        """True when no construct correlates with another at least as strongly as its sqrt(AVE)."""
        return not self.violations

    def to_frame(self) -> pd.DataFrame:
        """Table 2 layout with an ``AVE`` column first and a ``construct`` column."""
        out = self.table.copy()
        out.insert(0, "AVE", self.ave)
        return out.rename_axis("construct").reset_index()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: ``table``, ``ave``, ``violations``, ``passed``."""
        return json_safe(
            {"table": self.table, "ave": self.ave, "violations": list(self.violations), "passed": self.passed}
        )


def fornell_larcker(
    latent_corr: pd.DataFrame,
    *,
    ave: Mapping[str, float] | pd.Series | None = None,
    loadings: Mapping[str, Sequence[float]] | None = None,
) -> FornellLarckerResult:
    """Fornell-Larcker discriminant-validity table.

    Parameters
    ----------
    latent_corr
        Square latent (factor) correlation matrix with construct names as index and columns.
    ave
        AVE per construct, or
    loadings
        standardized loadings per construct (AVE is computed by
        :func:`cbeclab.measure.reliability.composite_reliability`).

    Examples
    --------
    >>> import pandas as pd
    >>> phi = pd.DataFrame([[1, .8], [.8, 1]], index=["A", "B"], columns=["A", "B"])
    >>> fornell_larcker(phi, ave={"A": 0.6, "B": 0.7}).violations[0]["construct"]
    'A'
    """
    if (ave is None) == (loadings is None):
        raise DataError(
            _("give exactly one of `ave` or `loadings`"),
            where="fornell_larcker",
            fix=_("pass ave={construct: AVE} or loadings={construct: [standardized loadings]}"),
        )
    if loadings is not None:
        ave_s = composite_reliability(loadings).table["ave"]
    else:
        ave_s = pd.Series(dict(ave) if ave is not None else {}, dtype=float)
    names = [str(c) for c in latent_corr.columns]
    missing = [c for c in names if c not in ave_s.index]
    if missing or list(map(str, latent_corr.index)) != names:
        raise DataError(
            _(
                "latent correlations and AVE do not name the same constructs (missing AVE: {missing})",
                missing=missing,
            ),
            where="fornell_larcker",
            fix=_("label the correlation matrix rows/columns with the construct names used for AVE"),
        )
    ave_s = ave_s[names]
    phi = latent_corr.to_numpy(dtype=float)
    root = np.sqrt(ave_s.to_numpy())
    table = pd.DataFrame(np.nan, index=names, columns=names)
    k = len(names)
    violations = []
    for i in range(k):
        table.iloc[i, i] = root[i]
        for j in range(i):
            table.iloc[i, j] = phi[i, j]
        for j in range(k):
            if j != i and abs(phi[i, j]) >= root[i]:
                violations.append(
                    {
                        "construct": names[i],
                        "other": names[j],
                        "corr": float(phi[i, j]),
                        "sqrt_ave": float(root[i]),
                    }
                )
    table.index.name = "construct"
    return FornellLarckerResult(table=table, ave=ave_s.rename("AVE"), violations=tuple(violations))


@dataclass(frozen=True)
class HTMTResult:
    """Symmetric HTMT matrix (1 on the diagonal) and the pairs above the cut-off."""

    matrix: pd.DataFrame
    cutoff: float
    flagged: tuple[tuple[str, str, float], ...]
    htmt2: bool

    def to_frame(self) -> pd.DataFrame:
        """Long frame: ``construct_a, construct_b, htmt, above_cutoff`` for each pair (a after b)."""
        names = list(self.matrix.columns)
        m = self.matrix.to_numpy(dtype=float)
        rows = [
            {
                "construct_a": names[i],
                "construct_b": names[j],
                "htmt": float(m[i, j]),
                "above_cutoff": bool(m[i, j] >= self.cutoff),
            }
            for i in range(len(names))
            for j in range(i)
        ]
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: ``matrix``, ``cutoff``, ``flagged``, ``htmt2``."""
        return json_safe(
            {
                "matrix": self.matrix,
                "cutoff": self.cutoff,
                "flagged": [list(f) for f in self.flagged],
                "htmt2": self.htmt2,
            }
        )


def htmt(
    data: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]],
    *,
    absolute: bool = True,
    htmt2: bool = False,
    cutoff: float | None = None,
) -> HTMTResult:
    """Heterotrait-monotrait ratio of correlations for every pair of constructs.

    Parameters
    ----------
    data
        Item scores (pairwise-complete Pearson correlations).
    constructs
        ``{construct: [item, ...]}``; constructs with one item get ``NaN`` (no monotrait correlation).
    absolute
        Use absolute correlations (semTools default).
    htmt2
        Geometric means (HTMT2) instead of arithmetic means.
    cutoff
        Flag pairs with HTMT at or above this value (default ``htmt_max`` in ``thresholds.yaml``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0); f = rng.standard_normal((500, 2))
    >>> x = pd.DataFrame({"a1": f[:, 0], "a2": f[:, 0], "b1": f[:, 1], "b2": f[:, 1]})
    >>> x += rng.standard_normal(x.shape)
    >>> round(float(htmt(x, {"A": ["a1", "a2"], "B": ["b1", "b2"]}).matrix.loc["A", "B"]), 1)
    0.0
    """
    items = [str(i) for its in constructs.values() for i in its]
    missing = [i for i in items if i not in data.columns]
    if missing:
        raise DataError(
            _("item(s) not in the data: {v1}", v1=", ".join(missing)),
            where="htmt(constructs=)",
            fix=_("list column names of `data` under each construct"),
        )
    df = item_frame(data[items], where="htmt(data)")
    r = df.corr(min_periods=2)
    if absolute:
        r = r.abs()
    if htmt2 and (r.to_numpy() <= 0).any():
        raise DataError(
            _("HTMT2 needs positive correlations (geometric means)"),
            where="htmt(htmt2=True)",
            fix=_("use htmt2=False"),
        )

    def _mean(v: np.ndarray) -> float:
        if v.size == 0:
            return float("nan")
        return float(np.exp(np.log(v).mean())) if htmt2 else float(v.mean())

    names = [str(c) for c in constructs]
    mono = {}
    for c, its in constructs.items():
        block = r.loc[list(its), list(its)].to_numpy()
        mono[str(c)] = _mean(block[np.triu_indices(len(its), 1)])
    out = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    for a_i, a in enumerate(names):
        for b in names[:a_i]:
            het = _mean(r.loc[list(constructs[a]), list(constructs[b])].to_numpy().ravel())
            out.loc[a, b] = out.loc[b, a] = het / np.sqrt(mono[a] * mono[b])
    cut = float(thresholds()["htmt_max"] if cutoff is None else cutoff)
    m = out.to_numpy(dtype=float)
    flagged = tuple(
        (names[i], names[j], float(m[i, j])) for i in range(len(names)) for j in range(i) if m[i, j] >= cut
    )
    return HTMTResult(matrix=out, cutoff=cut, flagged=flagged, htmt2=htmt2)
