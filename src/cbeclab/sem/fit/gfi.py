"""Goodness-of-fit index and its adjusted and parsimony versions (Joreskog & Sorbom 1984), ML form.

    GFI  = 1 - e' V e / s' V s,   e = vech(S - Sigma), s = vech(S),
           V = D'(Sigma^-1 (x) Sigma^-1)D / 2   (= 1 - tr[(Sigma^-1 S - I)^2] / tr[(Sigma^-1 S)^2])

with the moments of the fixed covariate block left out of ``s`` and ``e`` (lavaan 0.6, ``fixed.x``).
With a mean structure the means join both quadratic forms with weight 2 Sigma^-1 (lavaan's ML weight
matrix for the mean part, found by matching its ``gfi``) and p* grows by p.
Under FIML the same formula is applied to the EM moments; lavaan's FIML weight matrix differs, and
its GFI/AGFI differ from these by up to 1e-3 (a known gap).
    AGFI = 1 - (p* / df)(1 - GFI),   PGFI = (df / p*) GFI,    p* = p(p+1)/2

Source: lavaan ``lav_fit_gfi.R``.  Checked against: lavaan 0.6-14 ``fitMeasures``.
"""

from __future__ import annotations

import math

import numpy as np

from cbeclab.sem.fit.state import FitState


def gfi(state: FitState) -> dict[str, float]:
    """``gfi, agfi, pgfi``."""
    p = state.p
    Si = np.linalg.inv(state.Sigma)
    i, j = np.triu_indices(p)
    keep = np.ones(len(i), dtype=bool)
    if state.exo:
        ex = np.zeros(p, dtype=bool)
        ex[list(state.exo)] = True
        keep = ~(ex[i] & ex[j])
    i, j = i[keep], j[keep]
    mult = np.where(i == j, 1.0, 2.0)
    V = (
        0.5
        * (Si[np.ix_(i, i)] * Si[np.ix_(j, j)] + Si[np.ix_(i, j)] * Si[np.ix_(j, i)])
        * np.outer(mult, mult)
    )
    s = state.S[i, j]
    e = s - state.Sigma[i, j]
    num, den = float(e @ V @ e), float(s @ V @ s)
    nel = p * (p + 1) / 2
    if state.has_means:
        assert state.mean_S is not None and state.mean_Sigma is not None
        keep_m = np.setdiff1d(np.arange(p), np.asarray(state.exo, dtype=int))
        Sm = Si[np.ix_(keep_m, keep_m)]
        em = (state.mean_S - state.mean_Sigma)[keep_m]
        sm = state.mean_S[keep_m]
        num += 2.0 * float(em @ Sm @ em)
        den += 2.0 * float(sm @ Sm @ sm)
        nel += p
    value = 1.0 - num / den
    df = state.df
    agfi = 1.0 - (nel / df) * (1.0 - value) if df > 0 else math.nan
    return {"gfi": value, "agfi": agfi, "pgfi": (df / nel) * value}
