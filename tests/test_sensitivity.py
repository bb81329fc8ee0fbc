"""Sensitivity analysis (issue 8): each draw equals the model functions run with the draw's
weights and margin; the numbers depend only on (seed, draw); a near-fixed draw is the main run;
Dask (LocalCluster) gives the local numbers, and the partitioned engine the local tables."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from cbeclab import sensitivity as sens_mod
from cbeclab.models.coupling import coupling_coordination
from cbeclab.models.synergy import synergy
from cbeclab.pipeline import run_spec
from cbeclab.sensitivity import draw_chunk, draw_params, problem_from_run, sensitivity
from cbeclab.spec import load_spec

sys.path.insert(0, str(Path(__file__).parent))
from test_store import SPEC, make_panel  # noqa: E402


@pytest.fixture()
def result(tmp_path: Path):  # type: ignore[no-untyped-def]
    make_panel(n_e=9, n_t=7).to_csv(tmp_path / "panel.csv", index=False)
    (tmp_path / "spec.yaml").write_text(SPEC, encoding="utf-8")
    return run_spec(load_spec(tmp_path / "spec.yaml"))


@pytest.mark.parametrize("vary_base", [False, True])
def test_each_draw_is_the_model_run_with_its_choices(result, vary_base: bool) -> None:  # type: ignore[no-untyped-def]
    prob, keys = problem_from_run(
        result, seed=7, concentration=20.0, margin_range=(0.05, 0.2), vary_base=vary_base
    )
    out = draw_chunk(prob, 3, 8)
    X = result.panel.data
    subs = result.subsystems
    cols = [i for d in subs.values() for i in d]
    for j, d in enumerate(range(3, 8)):
        p = draw_params(prob, d)
        assert out.margin[j] == p["bound_margin"] and 0.05 <= p["bound_margin"] <= 0.2
        wc = {s: {i: float(p["w_cpl"][0, cols.index(i)]) for i in subs[s]} for s in subs}
        cref = coupling_coordination(X[cols], subs, weights=wc, scope="pooled")
        d_last = cref.table.groupby("entity", sort=False).tail(1)["D"].to_numpy()
        np.testing.assert_allclose(out.D[j], d_last, atol=1e-12)
        for e, ent in enumerate(keys["entity"]):
            ws = {s: {i: float(p["w_syn"][e, cols.index(i)]) for i in subs[s]} for s in subs}
            ref = synergy(
                X.loc[[ent], cols], subs, weights=ws, bound_margin=p["bound_margin"], base=p["base"]
            )
            np.testing.assert_allclose(out.synergy[j, e], ref.synergy["synergy"].iloc[-1], atol=1e-12)


def test_same_seed_same_numbers_whatever_the_chunks_and_processes(
    result, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    a = sensitivity(result, 60, seed=3, n_jobs=1)
    monkeypatch.setattr(sens_mod, "CHUNK_CELLS", 200)  # many small chunks
    b = sensitivity(result, 60, seed=3, n_jobs=2)
    c = sensitivity(result, 60, seed=4, n_jobs=1)
    assert a.table.equals(b.table) and a.draws.equals(b.draws)
    assert not a.table["synergy_p50"].equals(c.table["synergy_p50"])
    # the first 30 draws of a 60-draw run are a 30-draw run
    p30 = sensitivity(result, 30, seed=3).draws
    assert p30.equals(a.draws.iloc[:30])


def test_tight_draws_reproduce_the_main_run(result) -> None:  # type: ignore[no-untyped-def]
    m = result.spec.synergy.bound_margin
    s = sensitivity(result, 20, seed=1, concentration=1e12, margin_range=(m, m))
    t = s.table
    summ = result.summary().set_index("entity").loc[t["entity"]]
    np.testing.assert_allclose(t["synergy"], summ["synergy"], atol=1e-12)
    np.testing.assert_allclose(t["D"], summ["D"], atol=1e-12)
    for q in ("p05", "p50", "p95"):
        np.testing.assert_allclose(t[f"synergy_{q}"], t["synergy"], atol=1e-5)
        np.testing.assert_allclose(t[f"D_{q}"], t["D"], atol=1e-5)
    assert (t["stage_stability"] == 1).all() and (t["grade_stability"] == 1).all()
    assert list(t["stage"]) == list(summ["stage"])
    # loose draws move the numbers and sometimes the verdicts
    loose = sensitivity(result, 200, seed=1, concentration=2.0, margin_range=(0.0, 0.5), vary_base=True).table
    assert (loose["synergy_p95"] - loose["synergy_p05"]).min() > 0
    assert loose["stage_stability"].between(0, 1).all() and loose["stage_stability"].min() < 1


def test_bad_options_are_named(result) -> None:  # type: ignore[no-untyped-def]
    from cbeclab.errors import SpecError

    with pytest.raises(SpecError, match="bound-margin-range"):
        sensitivity(result, 5, margin_range=(0.3, 0.1))
    with pytest.raises(SpecError, match="concentration"):
        sensitivity(result, 5, concentration=0)


def test_cli_sensitivity_in_json_store_and_report(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from cbeclab.cli import main
    from cbeclab.store import open_run

    make_panel(n_e=6, n_t=6).to_csv(tmp_path / "panel.csv", index=False)
    (tmp_path / "spec.yaml").write_text(SPEC, encoding="utf-8")
    out = tmp_path / "out"
    args = ["run", str(tmp_path / "spec.yaml"), "--out", str(out), "--sensitivity", "50", "--seed", "5"]
    r = CliRunner().invoke(main, [*args, "--bound-margin-range", "0.05,0.2", "--vary-base"])
    assert r.exit_code == 0, r.output
    assert "Sensitivity (50 draws)" in r.output
    doc = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert len(doc["sensitivity"]) == 6 and {"stage_stability", "grade_stability", "D_p95"} <= set(
        doc["sensitivity"][0]
    )
    assert doc["sensitivity_options"]["bound_margin_range"] == [0.05, 0.2]
    assert len(open_run(out).table("sensitivity")) == 6
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="sensitivity"' in html or "Sensitivity analysis" in html
    r = CliRunner().invoke(
        main, [*args[:4], "--out", str(tmp_path / "o2"), "--sensitivity", "5", "--bound-margin-range", "x"]
    )
    assert r.exit_code == 2 and "LOW,HIGH" in r.output


@pytest.mark.slow
def test_dask_local_cluster_gives_the_local_numbers(result) -> None:  # type: ignore[no-untyped-def]
    distributed = pytest.importorskip("distributed")
    local = sensitivity(result, 40, seed=11, n_jobs=1)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        remote = sensitivity(result, 40, seed=11, scheduler=cluster.scheduler_address)
        part = run_spec(result.spec, panel=result.panel, scheduler=cluster.scheduler_address)
    assert local.table.equals(remote.table)
    for name, frame in result.tables().items():
        other = part.tables()[name]
        assert frame.reset_index(drop=True).equals(other.reset_index(drop=True)), name


def test_unreachable_scheduler_is_a_clear_error(result) -> None:  # type: ignore[no-untyped-def]
    from cbeclab.errors import SpecError

    with pytest.raises(SpecError, match="cannot reach the Dask scheduler"):
        sensitivity(result, 5, scheduler="tcp://127.0.0.1:9")
