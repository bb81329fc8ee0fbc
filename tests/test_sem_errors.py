"""Data problems, Heywood cases, listwise deletion, convergence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cbeclab.datasets.classic import holzinger_swineford
from cbeclab.errors import CbecWarning, DataError, ModelSyntaxError
from cbeclab.sem import Model

HS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


def test_unknown_variable_named_with_position() -> None:
    df = holzinger_swineford()
    with pytest.raises(ModelSyntaxError) as exc:
        Model("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x66").fit(df)
    msg = str(exc.value)
    assert "'x66'" in msg and "line 2, column 22" in msg and "x6" in msg


def test_heywood_case_warns() -> None:
    lam = np.array([1.0, 0.8, 0.6])
    theta = np.array([-0.05, 0.5, 0.5])
    S = np.outer(lam, lam) + np.diag(theta)
    cov = pd.DataFrame(S, index=["a", "b", "c"], columns=["a", "b", "c"])
    with pytest.warns(CbecWarning, match="Heywood"):
        res = Model("f =~ a + b + c").fit(cov=cov, nobs=200, cov_rescale=False)
    assert any("Heywood" in w and " a " in w for w in res.warnings)
    est = res.params.set_index(["lhs", "op", "rhs"])["est"]
    assert est[("a", "~~", "a")] == pytest.approx(-0.05, abs=1e-6)


def test_non_pd_covariance_names_collinear_variables() -> None:
    rng = np.random.default_rng(1)
    df = pd.DataFrame(rng.normal(size=(50, 3)), columns=["a", "b", "c"])
    df["s"] = df["a"] + df["b"]
    with pytest.raises(DataError) as exc:
        Model("f =~ a + b + c + s").fit(df)
    msg = str(exc.value)
    assert "'a'" in msg and "'b'" in msg and "'s'" in msg and "'c'" not in msg


def test_listwise_deletion_counts_rows() -> None:
    df = holzinger_swineford()
    dirty = df.copy()
    dirty.loc[[3, 10, 11], "x5"] = np.nan
    res = Model(HS).fit(dirty)
    assert res.n_dropped == 3 and res.nobs == 298
    clean = Model(HS).fit(df.drop(index=[3, 10, 11]))
    assert np.allclose(res.params["est"], clean.params["est"])


def test_non_numeric_column() -> None:
    df = holzinger_swineford()
    df["x1"] = df["x1"].astype(str)
    df.loc[5, "x1"] = "n/a?"
    with pytest.raises(DataError, match="x1"):
        Model(HS).fit(df)
