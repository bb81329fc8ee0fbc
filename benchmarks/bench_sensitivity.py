"""Benchmark: the sensitivity analysis, 1,000 draws, on the Guangzhou demo and on 3,000 entities.

Runs, in one process:

* ``cbeclab``: :func:`cbeclab.sensitivity.sensitivity` (vectorised over draws and entities, local
  processes by default);
* ``rerun``: the plain way, calling :func:`cbeclab.models.synergy.synergy` and
  :func:`cbeclab.models.coupling.coupling_coordination` once per draw with that draw's weights,
  bound margin and base (the whole vectorised model each time, on every period). On the demo all
  draws are rerun; on 3,000 entities ``--rerun-draws`` of them (default 10) are timed and the time
  is scaled to the number of draws (said in the output).

It checks that both give the same latest synergy and D for the rerun draws (max abs difference),
then prints the times, the ratio and the peak memory (RSS of this process and its children).

Usage: ``python benchmarks/bench_sensitivity.py [--draws 1000 --entities 3000 --rerun-draws 10]``.
"""

from __future__ import annotations

import argparse
import resource
import time
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from _common import engine_spec, make_panel


def peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def rerun(result: Any, prob: Any, keys: pd.DataFrame, draws: range) -> tuple[np.ndarray, np.ndarray]:
    """Latest synergy and D of each entity for each draw, by calling the model functions."""
    from cbeclab.models.coupling import coupling_coordination
    from cbeclab.models.synergy import synergy
    from cbeclab.sensitivity import draw_params

    subs = result.subsystems
    cols = [i for d in subs.values() for i in d]
    X = result.panel.data[cols]
    ents = pd.Index(keys["entity"])
    syn, D = [], []
    for d in draws:
        p = draw_params(prob, d)
        ws = pd.DataFrame(np.broadcast_to(p["w_syn"], (len(ents), len(cols))), index=ents, columns=cols)
        wc = (
            pd.DataFrame(p["w_cpl"][:1], index=["pooled"], columns=cols)
            if len(p["w_cpl"]) == 1
            else pd.DataFrame(p["w_cpl"], index=ents, columns=cols)
        )
        s = synergy(
            X,
            subs,
            weights=SimpleNamespace(table=ws),
            bound_margin=p["bound_margin"],
            base=p["base"],
            aggregate=result.spec.synergy.aggregate,
            scope=result.spec.synergy.scope,
        )
        c = coupling_coordination(
            X,
            subs,
            weights=SimpleNamespace(table=wc),
            scope=result.spec.coupling.scope,
            model=result.spec.coupling.model,
        )
        syn.append(s.synergy.groupby("entity", sort=False).tail(1)["synergy"].to_numpy())
        D.append(c.table.groupby("entity", sort=False).tail(1)["D"].to_numpy())
    return np.array(syn), np.array(D)


def bench(label: str, result: Any, n_draws: int, n_rerun: int) -> None:
    from cbeclab.sensitivity import draw_chunk, problem_from_run, sensitivity

    t0 = time.perf_counter()
    s = sensitivity(result, n_draws, seed=1)
    t_ours = time.perf_counter() - t0
    prob, keys = problem_from_run(result, seed=1, concentration=100.0, margin_range=None, vary_base=False)
    n_rerun = min(n_rerun, n_draws)
    t0 = time.perf_counter()
    syn, D = rerun(result, prob, keys, range(n_rerun))
    t_rerun = (time.perf_counter() - t0) * n_draws / n_rerun
    chunk = draw_chunk(prob, 0, n_rerun)
    dsyn = np.nanmax(np.abs(chunk.synergy - syn))
    dd = np.nanmax(np.abs(chunk.D - D))
    scaled = "" if n_rerun == n_draws else f" (timed {n_rerun} draws, scaled to {n_draws})"
    print(f"{label}: {len(keys)} entities, {n_draws} draws")
    print(f"  cbeclab sensitivity():            {t_ours:.2f} s")
    print(f"  rerun the models once a draw:     {t_rerun:.2f} s{scaled}")
    print(
        f"  ratio rerun / cbeclab: {t_rerun / t_ours:.1f}x; agreement max |synergy diff| {dsyn:.1e}, |D diff| {dd:.1e}"
    )
    print(
        f"  median share of draws keeping the stage {s.table['stage_stability'].median():.2f}, the grade {s.table['grade_stability'].median():.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--entities", type=int, default=3000)
    ap.add_argument("--rerun-draws", type=int, default=10)
    args = ap.parse_args()
    from cbeclab.examples import demo_spec
    from cbeclab.io.panel import panel_from_frame
    from cbeclab.pipeline import run_spec
    from cbeclab.spec import spec_from_dict

    bench("Guangzhou demo", run_spec(demo_spec()), args.draws, args.draws)
    X = make_panel(args.entities, 20, 40)
    cols = list(X.columns)
    spec = spec_from_dict(engine_spec(cols, forecast=False))
    panel = panel_from_frame(X.reset_index(), entity="entity", period="period", name="synthetic")
    bench(f"synthetic {args.entities} x 20 x 40", run_spec(spec, panel=panel), args.draws, args.rerun_draws)
    print(f"peak memory (RSS, this process and its workers): {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
