"""cbeclab.sem.dist (scipy.special) against scipy.stats on random arguments."""

from __future__ import annotations

import numpy as np
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
