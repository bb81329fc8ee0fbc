"""Benchmark: building the engine charts for a national-scale panel (3,000 entities x 20 periods).

Runs, in the same process on the same pipeline result (synthetic panel, 8 indicators):

* ``charts``: :func:`cbeclab.render.charts.engine.engine_charts` (aggregated many-entity charts) and
  their PNG export with vl-convert;
* ``legacy``: the hand-written SVG the report used before (one ``line_chart_svg`` per entity for
  order degree and synergy), the peer it replaces;
* ``compute``: :func:`cbeclab.pipeline.run_spec` itself, to put the chart time in proportion.

Prints times, the ratios, and the size of the chart specs against the legacy SVG.
Usage: ``python benchmarks/bench_charts.py [--entities 3000 --periods 20]``.
"""

from __future__ import annotations

import argparse
import json
import time

from _common import make_panel


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entities", type=int, default=3000)
    ap.add_argument("--periods", type=int, default=20)
    ap.add_argument("--lang", default="zh")
    args = ap.parse_args()

    from cbeclab.io.panel import panel_from_frame
    from cbeclab.pipeline import run_spec
    from cbeclab.render.charts import line_chart_svg
    from cbeclab.render.charts.engine import engine_charts
    from cbeclab.spec import spec_from_dict

    X = make_panel(args.entities, args.periods, 8)
    cols = list(X.columns)
    spec = spec_from_dict(
        {
            "data": {"dataset": "in-memory", "entity": "entity", "period": "period"},
            "subsystems": {
                "digital_trade": {c: "+" for c in cols[:4]},
                "industrial_cluster": {c: "+" for c in cols[4:]},
            },
            "weights": "entropy",
            "forecast": {"enabled": False},
        }
    )
    panel = panel_from_frame(
        X.reset_index(), entity="entity", period="period", name="synthetic benchmark panel"
    )
    t0 = time.perf_counter()
    res = run_spec(spec, panel=panel)
    t_compute = time.perf_counter() - t0

    engine_charts(res, args.lang)  # warm the catalogue and altair's schema
    t0 = time.perf_counter()
    charts = engine_charts(res, args.lang)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    png = sum(len(c.to_png(scale=2.0)) for c in charts)
    t_png = time.perf_counter() - t0
    spec_bytes = sum(len(json.dumps(c.spec, ensure_ascii=False).encode()) for c in charts)

    t0 = time.perf_counter()
    so, sy = res.synergy.subsystem_order, res.synergy.synergy
    svg_bytes = 0
    for (ent, g), (_e, s) in zip(so.groupby("entity", sort=False), sy.groupby("entity", sort=False)):
        series = {k: list(zip(g["period"].astype(float), g[k].astype(float))) for k in res.subsystems}
        series["synergy"] = list(zip(s["period"].astype(float), s["synergy"].astype(float)))
        svg_bytes += len(line_chart_svg(series, title=str(ent)).encode())
    t_legacy = time.perf_counter() - t0

    print(f"panel: {args.entities} entities x {args.periods} periods; {len(charts)} charts ({args.lang})")
    print(f"run_spec compute:                {t_compute:.3f} s")
    print(f"engine_charts build:             {t_build:.3f} s  ({t_build / t_compute:.2f}x compute)")
    print(f"legacy per-entity SVG (peer):    {t_legacy:.3f} s")
    print(f"ratio legacy / engine_charts:    {t_legacy / t_build:.2f}x")
    print(f"PNG export of all charts:        {t_png:.3f} s ({png / 1e6:.2f} MB)")
    print(
        f"spec JSON {spec_bytes / 1e3:.0f} kB vs legacy SVG {svg_bytes / 1e6:.1f} MB "
        f"(ratio {svg_bytes / spec_bytes:.0f}x smaller)"
    )


if __name__ == "__main__":
    main()
