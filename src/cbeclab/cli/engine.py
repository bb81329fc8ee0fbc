"""Engine subcommands (issue 2): ``run``, ``demo``, ``weights``, ``synergy``, ``coupling``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, cast

import click
import pandas as pd

from cbeclab.cli import exit_without_teardown, main
from cbeclab.cli.i18n import LANG_HELP, output_lang
from cbeclab.errors import SpecError
from cbeclab.i18n import _, pgettext, use_lang

LANG = click.option("--lang", type=click.Choice(["en", "zh"]), default=None, help=LANG_HELP)

#: console names of the summary columns
_SUMMARY_HEADERS = {
    "entity": "Entity",
    "period": "Period",
    "synergy": "Synergy",
    "D": "D",
    "lagging": "Lagging subsystem",
}


class _Bar:
    """A tqdm progress bar on stderr, fed by the pipeline's (fraction, step) callback."""

    def __init__(self, enabled: bool) -> None:
        self.bar: Any = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=100, file=sys.stderr, leave=False, bar_format="{l_bar}{bar}| {desc}")

    def __call__(self, frac: float, step: str) -> None:
        if self.bar is not None:
            self.bar.n = int(round(frac * 100))
            self.bar.set_description_str(step)
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _show(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Summary rows for the console: 4 decimals, subsystem display names, translated headers."""
    show = frame.copy()
    for c in ("synergy", "D"):
        if c in show:
            show[c] = show[c].map(lambda v: "" if pd.isna(v) else f"{v:.4f}")
    from cbeclab.i18n.names import display_name

    for col, kind in (("entity", "entity"), ("lagging", "subsystem")):
        if col in show:
            show[col] = show[col].map(lambda v, k=kind: v if pd.isna(v) else display_name(k, v, lang))
    names = {**_SUMMARY_HEADERS, f"stage_{lang}": "Stage", f"grade_{lang}": "Grade"}
    show.columns = [pgettext("console", names.get(str(c), str(c))) for c in show.columns]
    return show


def _print_summary(result: Any, lang: str) -> None:
    """Latest-period summary: every entity for a few, else counts per stage and grade + top/bottom 10."""
    summ = result.summary()
    if summ.empty:
        return
    cols = [
        c
        for c in ("entity", "period", "synergy", f"stage_{lang}", "D", f"grade_{lang}", "lagging")
        if c in summ
    ]
    n = len(summ)
    # the same thresholds as the report (cbeclab.render.sizing): every entity, else counts + top/bottom
    from cbeclab.render.sizing import TOP_N, many

    if not many(n):
        click.echo(_("Latest period: synergy stage and coordination grade"))
        click.echo(_show(summ[cols], lang).to_string(index=False))
        return
    click.echo(_("Latest period of {n} entities: synergy stage and coordination grade", n=n))
    for col, title in ((f"stage_{lang}", _("Synergy stage")), (f"grade_{lang}", _("Coordination grade"))):
        if col not in summ:
            continue
        counts = summ[col].fillna(_("(none)")).value_counts(sort=True)
        click.echo(f"{title}:")
        for label, k in counts.items():
            click.echo(f"  {label}: {k} ({k / n:.0%})")
    key = "D" if "D" in summ else "synergy"
    ranked = summ.dropna(subset=[key]).sort_values(key, ascending=False, kind="stable")
    for head, part in (
        (_("Top {k} entities by {key}", k=TOP_N, key=key), ranked.head(TOP_N)),
        (_("Bottom {k} entities by {key}", k=TOP_N, key=key), ranked.tail(TOP_N).iloc[::-1]),
    ):
        click.echo(head)
        click.echo(_show(part[cols], lang).to_string(index=False))
    click.echo(_("All {n} entities are in the summary table of result.xlsx and the store.", n=n))


def _run_and_write(
    spec: Any,
    out: Path,
    lang: str | None,
    quiet: bool,
    sens: dict[str, Any] | None = None,
    scheduler: str | None = None,
) -> Any:
    from cbeclab.pipeline import run_spec
    from cbeclab.render.pngjobs import PngJobs
    from cbeclab.store import write_run

    spec = spec.model_copy(update={"lang": output_lang(lang, spec)})
    # the chart-to-PNG helper process starts now, so it is warm when the report's figures exist
    with use_lang(spec.lang), PngJobs() as pngs:
        bar = _Bar(enabled=not quiet and sys.stderr.isatty())
        try:
            result = run_spec(spec, progress=bar, scheduler=scheduler)
            if sens is not None:
                from dataclasses import replace

                from cbeclab.sensitivity import sensitivity

                result = replace(result, sensitivity=sensitivity(result, scheduler=scheduler, **sens))
        finally:
            bar.close()
        paths = write_run(result, out, pngs=pngs)
        if not quiet:
            _print_summary(result, spec.lang)
            if result.sensitivity is not None:
                _print_sensitivity(result.sensitivity, spec.lang)
            for note in result.panel.notes:
                click.echo(_("note: {note}", note=note), err=True)
            click.echo(_("Outputs: {paths}", paths=", ".join(str(p) for p in paths.values())))
    return result


def _print_sensitivity(sens: Any, lang: str) -> None:
    t = sens.to_frame()
    click.echo(
        _(
            "Sensitivity ({n} draws): the synergy stage stays in {stage:.0%} and the coordination grade "
            "in {grade:.0%} of the draws (median over entities)",
            n=sens.n_draws,
            stage=float(t["stage_stability"].median()) if "stage_stability" in t else float("nan"),
            grade=float(t["grade_stability"].median()) if "grade_stability" in t else float("nan"),
        )
    )


def _sens_options(
    n: int | None, seed: int, concentration: float, margin_range: str | None, vary_base: bool
) -> dict[str, Any] | None:
    if n is None:
        return None
    rng: tuple[float, float] | None = None
    if margin_range:
        try:
            lo, hi = (float(v) for v in margin_range.split(","))
        except ValueError:
            raise SpecError(
                f"--bound-margin-range {margin_range!r} is not LOW,HIGH",
                where="--bound-margin-range",
                fix="e.g. --bound-margin-range 0.05,0.2",
            ) from None
        rng = (lo, hi)
    return {
        "n_draws": n,
        "seed": seed,
        "concentration": concentration,
        "margin_range": rng,
        "vary_base": vary_base,
    }


_SENS_OPTIONS = [
    click.option(
        "--sensitivity", "sens_n", type=int, default=None, help="Sensitivity analysis with N draws."
    ),
    click.option(
        "--seed", type=int, default=20240601, show_default=True, help="Seed of the sensitivity draws."
    ),
    click.option(
        "--concentration",
        type=float,
        default=100.0,
        show_default=True,
        help="Dirichlet concentration of the weight draws (larger: closer to the estimated weights).",
    ),
    click.option(
        "--bound-margin-range",
        default=None,
        help="LOW,HIGH range of the synergy bound margin drawn uniformly (default: the spec's margin ±50%).",
    ),
    click.option("--vary-base", is_flag=True, help="Also draw the synergy base (first or previous period)."),
    click.option(
        "--scheduler",
        default=None,
        help="Dask scheduler address (tcp://host:port): the per-entity engine and the draws run there.",
    ),
]


def _sens(f: Any) -> Any:
    for deco in reversed(_SENS_OPTIONS):
        f = deco(f)
    return f


@main.command("run")
@click.argument("spec_path", metavar="SPEC", type=click.Path(dir_okay=False))
@click.option("--out", "out", type=click.Path(file_okay=False), required=True, help="Output folder.")
@LANG
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
@_sens
def run_cmd(
    spec_path: str,
    out: str,
    lang: str | None,
    quiet: bool,
    sens_n: int | None,
    seed: int,
    concentration: float,
    bound_margin_range: str | None,
    vary_base: bool,
    scheduler: str | None,
) -> None:
    """Run a YAML spec; write the run folder OUT (tables/, result.json, result.xlsx, report.html, manifest)."""
    from cbeclab.io.atomic import ensure_dir
    from cbeclab.spec import load_spec

    ensure_dir(Path(out).resolve().parent)  # a file in the way, no permission: one located error
    sens = _sens_options(sens_n, seed, concentration, bound_margin_range, vary_base)
    _run_and_write(load_spec(spec_path), Path(out), lang, quiet, sens, scheduler)
    if scheduler is None:  # a Dask client shuts down in the interpreter's exit handlers: let them run
        exit_without_teardown()


@main.command("demo")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default="out/demo",
    show_default=True,
    help="Output folder.",
)
@LANG
@_sens
def demo_cmd(
    out: str,
    lang: str | None,
    sens_n: int | None,
    seed: int,
    concentration: float,
    bound_margin_range: str | None,
    vary_base: bool,
    scheduler: str | None,
) -> None:
    """Run the bundled demo: Guangzhou cluster trade 2010-2021 (seed 001 Table 2) + synthetic cluster indicators."""
    from cbeclab.examples import demo_spec
    from cbeclab.i18n.names import display_name

    spec = demo_spec()
    title = display_name("dataset", "guangzhou_demo", output_lang(lang, spec))  # the demo's title in zh or en
    sens = _sens_options(sens_n, seed, concentration, bound_margin_range, vary_base)
    _run_and_write(spec.model_copy(update={"title": title}), Path(out), lang, False, sens, scheduler)
    if scheduler is None:
        exit_without_teardown()


#: how the one-off commands' messages name their options (their own flags, never spec fields)
_FLAGS = {
    "entity": "--entity",
    "period": "--period",
    "indicator_col": "--indicator-col",
    "value_col": "--value-col",
    "allow_constant": "leave these indicators out of --subsystem / --benefit",
    "empty": "fill the columns, or leave them out of --subsystem / --benefit",
}
_READ: dict[str, Any] = {}


def _read_one_off(
    path: str, entity: str, period: str, impute: str | None, indicators: list[str] | None = None
) -> Any:
    from cbeclab.io.panel import load_panel

    return load_panel(
        path, entity=entity, period=period, impute=impute, indicators=indicators, options=_FLAGS, **_READ
    )


def _require_complete(panel: Any, data: str) -> None:
    panel.require_complete(
        where=data, fix="fill them in the data, or add --impute linear (or --impute interpolate)"
    )


def _directions(panel: Any, benefit: str | None, cost: str | None) -> dict[str, int]:
    cols = list(panel.indicators)
    costs = [c.strip() for c in (cost or "").split(",") if c.strip()]
    bens = [c.strip() for c in (benefit or "").split(",") if c.strip()] or [c for c in cols if c not in costs]
    unknown = [c for c in bens + costs if c not in cols]
    if unknown:
        skipped = [n for n in panel.notes for c in unknown if n.startswith(f"column {c!r} skipped")]
        raise SpecError(
            _("unknown indicator(s): {names}", names=", ".join(unknown))
            + (f" ({'; '.join(skipped)})" if skipped else ""),
            where="--benefit/--cost",
            fix=_("use column names of the data: {names}", names=", ".join(cols)),
        )
    return {**{c: 1 for c in bens}, **{c: -1 for c in costs}}


def _subsystems_opt(_panel: Any, specs: tuple[str, ...], cost: str | None) -> dict[str, dict[str, int]]:
    if len(specs) < 2:
        raise SpecError(
            _("give at least two subsystems"),
            where="--subsystem",
            fix=_(
                "e.g. {example}", example="--subsystem trade=exports,imports --subsystem cluster=output,firms"
            ),
        )
    costs = {c.strip() for c in (cost or "").split(",") if c.strip()}
    out: dict[str, dict[str, int]] = {}
    for s in specs:
        if "=" not in s:
            raise SpecError(
                _("{value!r} is not NAME=ind1,ind2", value=s),
                where="--subsystem",
                fix=_("write NAME=ind1,ind2"),
            )
        name, inds = s.split("=", 1)
        out[name.strip()] = {
            i.strip(): (-1 if i.strip() in costs else 1) for i in inds.split(",") if i.strip()
        }
    return out


def _subsystem_panel(
    data: str, entity: str, period: str, impute: str | None, subsystem: tuple[str, ...], cost: str | None
) -> tuple[pd.DataFrame, dict[str, dict[str, int]]]:
    """Read a panel for a one-off model command; check the --subsystem indicators exist and are complete."""
    subs = _subsystems_opt(None, subsystem, cost)
    cols = list(dict.fromkeys(i for s in subs.values() for i in s))
    panel = _read_one_off(data, entity, period, impute, cols)
    _directions(panel, ",".join(cols), None)
    _require_complete(panel, data)
    return panel.data[cols], subs


def _emit(df: pd.DataFrame, out: str | None) -> None:
    if out is None:
        click.echo(df.to_string(index=False))
        return
    from cbeclab.io.atomic import atomic_write_text
    from cbeclab.io.safecells import guard_frame
    from cbeclab.render.jsonout import records, write_json

    if out.endswith(".json"):
        write_json(out, records(df))
    elif out.endswith(".xlsx"):
        from cbeclab.render.xlsx import write_xlsx

        write_xlsx(out, {"result": df})
    else:
        atomic_write_text(out, guard_frame(df).to_csv(index=False), encoding="utf-8-sig")
    click.echo(_("wrote {path}", path=out))


_COMMON = [
    click.argument("data", type=click.Path(dir_okay=False)),
    click.option("--entity", default="entity", show_default=True, help="Entity column."),
    click.option("--period", default="period", show_default=True, help="Period column."),
    click.option(
        "--impute",
        type=click.Choice(["linear", "interpolate"]),
        default=None,
        help="Fill missing cells inside a series by linear interpolation (default: refuse gaps).",
    ),
    click.option("--cost", default=None, help="Comma-separated cost (smaller-is-better) indicators."),
    click.option("--out", default=None, help="Write .csv (UTF-8 with BOM, opens in Excel), .xlsx or .json."),
    click.option(
        "--header-row",
        type=click.IntRange(min=1),
        default=None,
        help="Row holding the column names (default: detected).",
    ),
    click.option(
        "--skip-footer",
        type=click.IntRange(min=0),
        default=None,
        help="Note rows to drop below the data (default: detected).",
    ),
    click.option(
        "--delimiter",
        type=click.Choice([",", ";", "tab", "|"]),
        default=None,
        help="CSV delimiter (default: sniffed).",
    ),
    click.option(
        "--decimal", type=click.Choice([".", ","]), default=None, help="CSV decimal mark (default: detected)."
    ),
    click.option(
        "--layout",
        type=click.Choice(["wide", "years"]),
        default="wide",
        show_default=True,
        help="years: one column per year.",
    ),
    click.option(
        "--indicator-col",
        default=None,
        help="With --layout years: the column naming the indicator of each row.",
    ),
]


def _common(f: Any) -> Any:
    import functools

    for deco in reversed(_COMMON):
        f = deco(f)

    @functools.wraps(f)
    def wrapper(**kw: Any) -> Any:
        _READ.clear()
        _READ.update(
            {
                k: kw.pop(k)
                for k in ("header_row", "skip_footer", "delimiter", "decimal", "layout", "indicator_col")
            }
        )
        return f(**kw)

    return wrapper


@main.command("weights")
@_common
@click.option(
    "--method",
    default="entropy",
    show_default=True,
    type=click.Choice(["entropy", "critic", "cv", "equal"]),
    help="Weighting method.",
)
@click.option(
    "--scope",
    default="pooled",
    show_default=True,
    type=click.Choice(["pooled", "per_entity"]),
    help="Weights from all entities together or one set per entity.",
)
@click.option("--benefit", default=None, help="Comma-separated benefit indicators (default: all but --cost).")
@click.option(
    "--standardize/--no-standardize",
    default=None,
    help="Entropy/CRITIC: min-max first (cbeclab default) or use the values as given (SPSSAU).",
)
@click.option("--shift", default=None, help="Entropy shift: a number, or nonpositive_only (SPSSAU).")
@click.option("--compat", default=None, type=click.Choice(["spssau"]), help="SPSSAU's conventions.")
def weights_cmd(
    data: str,
    entity: str,
    period: str,
    impute: str | None,
    cost: str | None,
    out: str | None,
    method: str,
    scope: str,
    benefit: str | None,
    standardize: bool | None,
    shift: str | None,
    compat: str | None,
) -> None:
    """Objective weights of the indicators of a panel CSV/XLSX."""
    from cbeclab.evaluate.weights import compute_weights

    named = [c.strip() for c in f"{benefit or ''},{cost or ''}".split(",") if c.strip()] if benefit else None
    panel = _read_one_off(data, entity, period, impute, named)
    dirs = _directions(panel, benefit, cost)
    _require_complete(panel, data)
    shift_value: float | str | None = shift
    if shift is not None and shift != "nonpositive_only":
        try:
            shift_value = float(shift)
        except ValueError:
            raise SpecError(
                f"--shift {shift!r} is neither a number nor nonpositive_only",
                where="--shift",
                fix="use e.g. --shift 0.01 or --shift nonpositive_only",
            ) from None
    res = compute_weights(
        panel.data[list(dirs)],
        dirs,
        method,
        scope=cast(Any, scope),
        standardize=standardize,
        shift=shift_value,
        compat=compat,
    )
    _emit(res.to_frame(), out)


@main.command("synergy")
@_common
@click.option("--subsystem", "subsystem", multiple=True, required=True, help="NAME=ind1,ind2 (repeat).")
@click.option("--weights", "weights", default="entropy", show_default=True, help="Weighting method.")
@click.option(
    "--bound-margin",
    default=0.1,
    show_default=True,
    type=float,
    help="Margin that widens each order parameter's observed range into its bounds.",
)
@click.option(
    "--base",
    default="first",
    show_default=True,
    type=click.Choice(["first", "previous"]),
    help="Base period: the first period or the previous one.",
)
@click.option(
    "--scope",
    default="per_entity",
    show_default=True,
    type=click.Choice(["pooled", "per_entity"]),
    help="Bounds and weights from all entities together or per entity.",
)
@click.option(
    "--aggregate",
    default="weighted",
    show_default=True,
    type=click.Choice(["weighted", "geometric"]),
    help="How order parameters combine into a subsystem's order degree.",
)
@click.option(
    "--compat", default=None, type=click.Choice(["spssau"]), help="Weights with SPSSAU's conventions."
)
def synergy_cmd(
    data: str,
    entity: str,
    period: str,
    impute: str | None,
    cost: str | None,
    out: str | None,
    subsystem: tuple[str, ...],
    weights: str,
    bound_margin: float,
    base: str,
    scope: str,
    aggregate: str,
    compat: str | None,
) -> None:
    """Composite-system synergy degree (seed 001) of a panel CSV/XLSX."""
    from cbeclab.diagnose.stages import synergy_stage
    from cbeclab.models.synergy import synergy

    X, subs = _subsystem_panel(data, entity, period, impute, subsystem, cost)
    res = synergy(
        X,
        subs,
        weights=weights,
        bound_margin=bound_margin,
        base=cast(Any, base),
        scope=cast(Any, scope),
        aggregate=cast(Any, aggregate),
        weight_options={"compat": compat} if compat else None,
    )
    st = synergy_stage(res.synergy)
    table = res.to_frame()
    table["stage"] = st["stage"].to_numpy() if "stage" in st else None
    _emit(table, out)


@main.command("coupling")
@_common
@click.option("--subsystem", "subsystem", multiple=True, required=True, help="NAME=ind1,ind2 (repeat).")
@click.option("--weights", "weights", default="entropy", show_default=True, help="Weighting method.")
@click.option(
    "--model",
    default="classical",
    show_default=True,
    type=click.Choice(["classical", "modified"]),
    help="Coupling formula: classical or modified.",
)
@click.option(
    "--scope",
    default="pooled",
    show_default=True,
    type=click.Choice(["pooled", "per_entity"]),
    help="Weights from all entities together or one set per entity.",
)
@click.option(
    "--compat", default=None, type=click.Choice(["spssau"]), help="Reproduce another tool's conventions."
)
def coupling_cmd(
    data: str,
    entity: str,
    period: str,
    impute: str | None,
    cost: str | None,
    out: str | None,
    subsystem: tuple[str, ...],
    weights: str,
    model: str,
    scope: str,
    compat: str | None,
) -> None:
    """Coupling coordination degree (C, T, D, grade, lagging subsystem) of a panel CSV/XLSX."""
    from cbeclab.models.coupling import coupling_coordination

    X, subs = _subsystem_panel(data, entity, period, impute, subsystem, cost)
    res = coupling_coordination(
        X,
        subs,
        weights=weights,
        model=cast(Any, model),
        scope=cast(Any, scope),
        compat=cast(Any, compat),
    )
    _emit(res.table, out)
