"""Factor rotations used by :func:`cbeclab.measure.efa.efa`: varimax and promax as psych::fa does them.

* **varimax**: ``stats::varimax(L, normalize = TRUE, eps = 1e-5)`` (Kaiser 1958). Rows are scaled
  to unit length, then ``T`` is updated by ``B = L'(Z^3 - Z diag(1'Z^2)/p)``, ``T = U V'`` from the
  SVD of ``B``, until the criterion ``sum(svd(B)$d)`` grows by less than a factor ``1 + eps``.
* **promax**: psych::fa's ``rotate = "promax"`` calls ``kaiser(L, rotate = "Promax")``: rows are
  Kaiser-normalised, then psych::Promax (Hendrickson & White 1964, power ``m = 4``): varimax, target
  ``Q = X |X|^(m-1)``, least-squares ``U = (X'X)^-1 X'Q``, columns rescaled by
  ``sqrt(diag((U'U)^-1))``, pattern ``X U``, factor correlations ``Phi = U^-1 U^-T`` (``U`` including the
  varimax step), finally rows are scaled back. ``stats::promax`` differs: no Kaiser step before the
  target and no ``Phi``.

Checked against: psych::fa 2.2.9 with ``rotate = "varimax"`` / ``"promax"`` (``tests/fixtures/psych_*.json``).
"""

from __future__ import annotations

import numpy as np

from cbeclab.errors import ModelError
from cbeclab.i18n import _

__all__ = ["promax", "varimax"]


def varimax(
    loadings: np.ndarray, *, normalize: bool = True, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray]:
    """Varimax rotation exactly as ``stats::varimax``; returns ``(rotated, T)`` with ``rotated = L T``."""
    x = np.asarray(loadings, dtype=float)
    nc = x.shape[1]
    if nc < 2:
        return x.copy(), np.eye(nc)
    sc = np.ones(x.shape[0])
    if normalize:
        sc = np.sqrt((x**2).sum(axis=1))
        x = x / sc[:, None]
    p = x.shape[0]
    tt = np.eye(nc)
    d = 0.0
    for _unused in range(1000):
        z = x @ tt
        b = x.T @ (z**3 - z * ((z**2).sum(axis=0) / p))
        u, s, vt = np.linalg.svd(b)
        tt = u @ vt
        d_past = d
        d = float(s.sum())
        if d < d_past * (1 + eps):
            break
    z = x @ tt
    if normalize:
        z = z * sc[:, None]
    return z, tt


def promax(loadings: np.ndarray, *, m: float = 4.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """psych's ``kaiser(L, "Promax", m = 4)``; returns ``(pattern, U, Phi)``."""
    f = np.asarray(loadings, dtype=float)
    nc = f.shape[1]
    if nc < 2:
        return f.copy(), np.eye(nc), np.eye(nc)
    h2 = (f**2).sum(axis=1)
    w = f / np.sqrt(h2)[:, None]
    x, tt = varimax(w, normalize=True)
    q = x * np.abs(x) ** (m - 1)
    u, *_unused = np.linalg.lstsq(x, q, rcond=None)
    try:
        d = np.diag(np.linalg.inv(u.T @ u))
    except np.linalg.LinAlgError as exc:  # pragma: no cover - exactly uncorrelated factors
        raise ModelError(
            _("promax target gives a singular matrix (factors exactly uncorrelated)"),
            where="efa(rotate='promax')",
            fix=_("use rotate='varimax'"),
        ) from exc
    u = u * np.sqrt(d)[None, :]
    z = x @ u
    u_full = tt @ u
    ui = np.linalg.inv(u_full)
    phi = ui @ ui.T
    return z * np.sqrt(h2)[:, None], u_full, phi
