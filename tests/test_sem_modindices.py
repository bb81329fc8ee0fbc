"""Modification indices against lavaan 0.6-14 modindices() (fixture made by
tests/fixtures/r/sem_modindices.R)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cbeclab.cli import main
from cbeclab.datasets.classic import holzinger_swineford, political_democracy
from cbeclab.sem import Model
from cbeclab.sem.modindices import modindices

FIX = Path(__file__).parent / "fixtures"
REF = json.loads((FIX / "sem_modindices.json").read_text())
DATA = {
    "hs": (holzinger_swineford, "listwise"),
    "pd": (political_democracy, "listwise"),
    "lk_fiml": (lambda: pd.read_csv(FIX / "sem_likert_missing.csv"), "ml"),
}


@pytest.mark.parametrize("key", list(DATA))
def test_modindices_agree(key: str) -> None:
    loader, mis = DATA[key]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mi = modindices(Model(REF[key]["model"]), loader(), missing=mis, sort=False)
    R = pd.DataFrame(REF[key]["mi"])
    m = mi.merge(R, on=["lhs", "op", "rhs"], suffixes=("", "_r"))
    assert len(m) == len(R) == len(mi)
    for col, rcol in (("mi", "mi_r"), ("epc", "epc_r"), ("sepc_lv", "sepc.lv"), ("sepc_all", "sepc.all")):
        assert np.nanmax(np.abs(m[col] - m[rcol])) < 1e-3, col


def test_sorted_and_threshold() -> None:
    mi = modindices(Model(REF["hs"]["model"]), holzinger_swineford(), minimum_value=10)
    assert (mi["mi"] >= 10).all() and mi["mi"].is_monotonic_decreasing
    assert tuple(mi.iloc[0][["lhs", "op", "rhs"]]) == ("visual", "=~", "x9")  # lavaan's top MI (36.41)


def test_cli_modindices(tmp_path: Path) -> None:
    model = tmp_path / "m.lav"
    model.write_text(REF["hs"]["model"], encoding="utf-8")
    data = tmp_path / "hs.csv"
    holzinger_swineford().to_csv(data, index=False)
    out = tmp_path / "o.json"
    r = CliRunner().invoke(main, ["sem", str(model), str(data), "--modindices", "--json", str(out)])
    assert r.exit_code == 0, r.output
    rows = json.loads(out.read_text())["modindices"]
    assert set(rows[0]) == {"lhs", "op", "rhs", "mi", "epc", "sepc_all"}
    assert all(x["mi"] >= 3.84 for x in rows) and abs(rows[0]["mi"] - 36.411) < 1e-2
