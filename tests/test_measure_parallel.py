"""Parallel analysis: suggested numbers on clear structures, determinism, psych's counting rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cbeclab.errors import DataError, SpecError
from cbeclab.measure import efa, parallel_analysis
from cbeclab.measure.parallel import _count_above


def _clear(k: int, seed: int = 0, n: int = 500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.standard_normal((n, k))
    x = np.repeat(f, 4, axis=1) * 0.75 + rng.standard_normal((n, 4 * k)) * 0.66
    return pd.DataFrame(x, columns=[f"v{i}" for i in range(4 * k)])


@pytest.mark.parametrize("k", [1, 3])
def test_clear_structure(k: int) -> None:
    res = parallel_analysis(_clear(k), n_iter=10, seed=4)
    assert res.n_factors == k and res.n_components == k
    mean_rule = parallel_analysis(_clear(k), n_iter=10, seed=4, quantile=None)
    assert mean_rule.n_components == k


def test_seeded_and_observed_part_is_exact() -> None:
    x = _clear(2)
    a = parallel_analysis(x, n_iter=5, seed=1)
    b = parallel_analysis(x, n_iter=5, seed=1)
    c = parallel_analysis(x, n_iter=5, seed=2)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert not np.allclose(a.table["pc_rand_mean"], c.table["pc_rand_mean"])
    np.testing.assert_allclose(a.table["pc_obs"], c.table["pc_obs"])
    np.testing.assert_allclose(a.table["pc_obs"], np.sort(np.linalg.eigvalsh(x.corr()))[::-1])
    np.testing.assert_allclose(a.table["fa_obs"], efa(x, 1, fm="minres", rotate="none").values)
    # random eigenvalues of pure noise hover around 1 (Marchenko-Pastur), first above, last below
    assert a.table["pc_rand_mean"].iloc[0] > 1 > a.table["pc_rand_mean"].iloc[-1]
    smc = parallel_analysis(x, n_iter=5, fa_method="smc")
    assert smc.n_factors == 2


def test_counting_rule_matches_psych() -> None:
    assert _count_above(np.array([3.0, 1.5, 0.9]), np.array([1.2, 1.1, 1.0])) == 2
    assert _count_above(np.array([0.9, 2.0]), np.array([1.0, 1.0])) == 0  # psych stops at first failure
    assert _count_above(np.array([3.0, 2.0]), np.array([1.0, 1.0])) == 2


def test_parallel_errors() -> None:
    x = _clear(1)
    with pytest.raises(SpecError):
        parallel_analysis(x, quantile=1.5)
    with pytest.raises(SpecError):
        parallel_analysis(x, n_iter=0)
    with pytest.raises(SpecError):
        parallel_analysis(x, fa_method="pc")  # type: ignore[arg-type]
    with pytest.raises(DataError):
        parallel_analysis(corr=x.corr())


def test_synthetic_yongkang_has_five_factors() -> None:
    """Seed 000 extracts 5 factors from its 24 items; the synthetic survey built from its model agrees."""
    from cbeclab.datasets.survey import synthetic_yongkang_survey, yongkang_model

    d = synthetic_yongkang_survey(2000, seed=3)
    res = parallel_analysis(d, n_iter=10, seed=0)
    assert res.n_factors == 5 and res.n_components == 5
    fit = efa(d, 5, fm="ml", rotate="promax")
    m = yongkang_model()
    top = fit.loadings.abs().idxmax(axis=1)
    # every construct's items share one factor, and different constructs get different factors
    groups = {c: set(top[m.items_of(c)]) for c in m.constructs}
    assert all(len(g) == 1 for g in groups.values())
    assert len(set().union(*groups.values())) == 5
