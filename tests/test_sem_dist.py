"""cbeclab.sem.dist (scipy.special) against scipy.stats on random arguments."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as ss

from cbeclab.sem import dist


def test_distributions_match_scipy_stats() -> None:
    rng = np.random.default_rng(0)
    df = rng.integers(1, 400, 500).astype(float)
    x = rng.uniform(0.1, 3.0, 500) * df
    nc = rng.uniform(0.0, 2.0, 500) * df
    p = rng.uniform(0.001, 0.999, 500)
    z = rng.normal(0, 3, 500)
    np.testing.assert_allclose(dist.chi2.sf(x, df), ss.chi2.sf(x, df), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(dist.chi2.cdf(x, df), ss.chi2.cdf(x, df), rtol=1e-12)
    np.testing.assert_allclose(dist.chi2.ppf(p, df), ss.chi2.ppf(p, df), rtol=1e-12)
    np.testing.assert_allclose(dist.ncx2.cdf(x, df, nc), ss.ncx2.cdf(x, df, nc), atol=1e-14)
    np.testing.assert_allclose(dist.ncx2.sf(x, df, nc), ss.ncx2.sf(x, df, nc), atol=1e-14)
    np.testing.assert_allclose(dist.norm.sf(z), ss.norm.sf(z), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(dist.norm.cdf(z), ss.norm.cdf(z), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(dist.norm.ppf(p), ss.norm.ppf(p), rtol=1e-12)
    np.testing.assert_allclose(dist.norm.pdf(z), ss.norm.pdf(z), rtol=1e-12)


def test_sem_command_path_does_not_import_scipy_stats() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from cbeclab.sem import Model;"
        "from cbeclab.datasets.classic import holzinger_swineford as h;"
        "Model('v =~ x1 + x2 + x3').fit(h()).fit_measures();"
        "print('scipy.stats' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_find_root_agrees_with_scipy_brentq() -> None:
    """cbeclab.sem.roots.find_root (used by the RMSEA interval instead of importing scipy.optimize)."""
    from scipy import optimize

    from cbeclab.sem import dist
    from cbeclab.sem.roots import find_root

    rng = np.random.default_rng(0)
    n = 0
    for i in range(600):  # cubics: a bracket may hold three roots, so check that a root was found
        c = rng.standard_normal(4)

        def f(x: float, c: np.ndarray = c) -> float:
            return float(((c[0] * x + c[1]) * x + c[2]) * x + c[3])

        a, b = rng.uniform(-5, 0), rng.uniform(0, 5)
        if np.sign(f(a)) == np.sign(f(b)):
            continue
        xt = [2e-12, 1e-12, 1e-6][i % 3]
        r = find_root(f, a, b, xtol=xt)
        assert a <= r <= b
        tol = 2 * (xt + 1e-15 * abs(r))
        assert f(r) == 0 or np.sign(f(r - tol)) != np.sign(f(r + tol))
        n += 1
    for i in range(60):  # the RMSEA equations (monotone in lambda): one root, the same as SciPy's
        x2, df, prob = rng.uniform(1, 400), float(rng.integers(1, 200)), (0.95, 0.05)[i % 2]

        def g(lam: float, x2: float = x2, df: float = df, prob: float = prob) -> float:
            return float(dist.ncx2.cdf(x2, df, lam) if lam > 0 else dist.chi2.cdf(x2, df)) - prob

        if g(0.0) < 0:
            continue
        hi = max(x2, 1.0)
        while g(hi) > 0:
            hi *= 2.0
        ref = optimize.brentq(g, 0.0, hi, xtol=1e-12)
        assert find_root(g, 0.0, hi, xtol=1e-12) == pytest.approx(ref, rel=1e-12, abs=4e-12)
        n += 1
    assert n > 300
    assert find_root(lambda x: x, 0.0, 1.0) == 0.0  # an endpoint that is a root
    assert find_root(lambda x: x - 0.25, 0.0, 1.0) == pytest.approx(0.25, abs=1e-12)  # by hand
    with pytest.raises(ValueError, match="different signs"):
        find_root(lambda x: x * x + 1.0, -1.0, 1.0)
    with pytest.raises(RuntimeError):
        find_root(lambda x: x**3 - 0.3, 0.0, 1.0, maxiter=1)
