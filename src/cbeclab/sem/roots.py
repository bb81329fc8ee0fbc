"""Brent's root finder, a line-for-line port of SciPy's ``brentq`` (``scipy/optimize/Zeros/brentq.c``).

``from scipy import optimize`` costs about 0.3-0.4 s of a ``cbeclab sem`` command (it loads
``scipy.linalg``, ``scipy.sparse``, ``scipy.spatial`` and the linear-programming solvers; measured
with ``python -X importtime``), and the RMSEA confidence interval is the only user of
``optimize`` on that path.  The port keeps SciPy's defaults (``rtol = 4 eps``, 100 iterations) and
performs the same floating-point operations in the same order, so it returns the same root, bit
for bit.

Checked against: ``scipy.optimize.brentq`` (SciPy 1.17) on polynomials, a bracket endpoint that
is a root, and the non-central chi-square equations of the RMSEA interval: identical results
(``tests/test_sem_dist.py``).

References
----------
Brent, R. P. (1973). *Algorithms for Minimization Without Derivatives*, ch. 4. Prentice-Hall.
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["brentq"]

_RTOL = 4.0 * 2.220446049250313e-16  # scipy.optimize._zeros._rtol


def brentq(
    f: Callable[[float], float],
    a: float,
    b: float,
    *,
    xtol: float = 2e-12,
    rtol: float = _RTOL,
    maxiter: int = 100,
) -> float:
    """A root of ``f`` in ``[a, b]`` (``f(a)`` and ``f(b)`` of opposite signs), as SciPy's ``brentq``.

    Raises
    ------
    ValueError
        ``f(a)`` and ``f(b)`` have the same sign, or a tolerance is not positive.
    RuntimeError
        No convergence in ``maxiter`` iterations.
    """
    if xtol <= 0:
        raise ValueError(f"xtol too small ({xtol:g} <= 0)")
    if rtol < _RTOL:
        raise ValueError(f"rtol too small ({rtol:g} < {_RTOL:g})")
    xpre, xcur = float(a), float(b)
    xblk = fblk = spre = scur = 0.0
    fpre = float(f(xpre))
    fcur = float(f(xcur))
    if fpre == 0:
        return xpre
    if fcur == 0:
        return xcur
    if math.copysign(1.0, fpre) == math.copysign(1.0, fcur):
        raise ValueError("f(a) and f(b) must have different signs")
    for _ in range(maxiter):
        if fpre != 0 and fcur != 0 and math.copysign(1.0, fpre) != math.copysign(1.0, fcur):
            xblk = xpre
            fblk = fpre
            spre = scur = xcur - xpre
        if abs(fblk) < abs(fcur):
            xpre, xcur, xblk = xcur, xblk, xcur
            fpre, fcur, fblk = fcur, fblk, fcur
        delta = (xtol + rtol * abs(xcur)) / 2
        sbis = (xblk - xcur) / 2
        if fcur == 0 or abs(sbis) < delta:
            return xcur
        if abs(spre) > delta and abs(fcur) < abs(fpre):
            if xpre == xblk:  # interpolate
                stry = -fcur * (xcur - xpre) / (fcur - fpre)
            else:  # extrapolate
                dpre = (fpre - fcur) / (xpre - xcur)
                dblk = (fblk - fcur) / (xblk - xcur)
                stry = -fcur * (fblk * dblk - fpre * dpre) / (dblk * dpre * (fblk - fpre))
            if 2 * abs(stry) < min(abs(spre), 3 * abs(sbis) - delta):  # good short step
                spre = scur
                scur = stry
            else:  # bisect
                spre = sbis
                scur = sbis
        else:  # bisect
            spre = sbis
            scur = sbis
        xpre = xcur
        fpre = fcur
        if abs(scur) > delta:
            xcur += scur
        else:
            xcur += delta if sbis > 0 else -delta
        fcur = float(f(xcur))
    raise RuntimeError(f"brentq: failed to converge after {maxiter} iterations, value is {xcur}")
