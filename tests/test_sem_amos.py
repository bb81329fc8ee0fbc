"""AMOS-named fit table against lavaan 0.6-14 (fixtures by tests/fixtures/r/sem_semextra.R)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from scipy import stats

from cbeclab.datasets.classic import holzinger_swineford, political_democracy
from cbeclab.sem import Model
from cbeclab.sem.fit.amos import amos_fit_table, amos_measures, hoelter

FIX = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    ("name", "loader"), [("wishart_hs", holzinger_swineford), ("wishart_poldem", political_democracy)]
)
def test_amos_measures_match_lavaan(name: str, loader: object) -> None:
    ref = json.loads((FIX / f"sem_{name}.json").read_text())
    res = Model(ref["model"]).fit(loader(), likelihood="wishart")  # type: ignore[operator]
    a = amos_measures(res.fit_measures(), res.nobs)
    f = ref["fit"]
    for amos, lav in [("CMIN", "chisq"), ("AGFI", "agfi"), ("PGFI", "pgfi"), ("PNFI", "pnfi"), ("TLI", "tli"),
                      ("RFI", "rfi"), ("PCLOSE", "rmsea.pvalue"), ("GFI", "gfi")]:  # fmt: skip
        assert a[amos] == pytest.approx(f[lav], abs=1e-4), amos
    assert a["CMIN/DF"] == pytest.approx(f["chisq"] / f["df"], rel=1e-5)
    assert a["PCFI"] == pytest.approx(f["df"] / f["baseline.df"] * f["cfi"], abs=1e-4)
    if "pcfi_by_hand" in ref:
        assert a["PCFI"] == pytest.approx(ref["pcfi_by_hand"], abs=1e-4)
    # Hoelter by hand: (N - 1) chi2_.95(df) / CMIN + 1, truncated
    n, df, cmin = ref["nobs"], f["df"], f["chisq"]
    assert a["HOELTER .05"] == math.floor((n - 1) * stats.chi2.ppf(0.95, df) / cmin + 1)
    assert a["HOELTER .01"] == math.floor((n - 1) * stats.chi2.ppf(0.99, df) / cmin + 1)


def test_hoelter_hand_values() -> None:
    # chi2_.95(24) = 36.41503; (301 - 1) * 36.41503 / 85.0221 + 1 = 129.49 -> 129
    assert hoelter(85.0221, 24, 301, 0.05) == 129
    assert math.isnan(hoelter(0.0, 0, 100, 0.05))


def test_amos_table_has_every_name() -> None:
    res = Model("f =~ x1 + x2 + x3 + x4").fit(holzinger_swineford())
    t = amos_fit_table(res)
    names = set(t.iloc[:, 0])
    want = {"CMIN", "DF", "CMIN/DF", "GFI", "AGFI", "PGFI", "NFI", "RFI", "IFI", "TLI", "CFI", "PNFI", "PCFI",
            "RMSEA", "HOELTER .05", "HOELTER .01"}  # fmt: skip
    assert want <= names
