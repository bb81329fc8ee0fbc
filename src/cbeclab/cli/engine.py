"""Engine subcommands (issue 2): ``run``, ``demo``, ``weights``, ``synergy``, ``coupling``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, cast

import click
import pandas as pd

from cbeclab.cli import main
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


def _print_summary(result: Any, lang: str) -> None:
    summ = result.summary()
    if summ.empty:
        return
    cols = [
        c
        for c in ("entity", "period", "synergy", f"stage_{lang}", "D", f"grade_{lang}", "lagging")
        if c in summ
    ]
    show = summ[cols].copy()
    for c in ("synergy", "D"):
        if c in show:
            show[c] = show[c].map(lambda v: "" if pd.isna(v) else f"{v:.4f}")
    if "lagging" in show:
        from cbeclab.i18n.names import display_name

        show["lagging"] = show["lagging"].map(
            lambda v: v if pd.isna(v) else display_name("subsystem", v, lang)
        )
    names = {**_SUMMARY_HEADERS, f"stage_{lang}": "Stage", f"grade_{lang}": "Grade"}
    show.columns = [pgettext("console", names.get(str(c), str(c))) for c in show.columns]
    click.echo(_("Latest period: synergy stage and coordination grade"))
    click.echo(show.to_string(index=False))


def _run_and_write(spec: Any, out: Path, lang: str | None, quiet: bool) -> Any:
    from cbeclab.pipeline import run_spec
    from cbeclab.render.engine_report import write_outputs

    spec = spec.model_copy(update={"lang": output_lang(lang, spec)})
    with use_lang(spec.lang):
        bar = _Bar(enabled=not quiet and sys.stderr.isatty())
        try:
            result = run_spec(spec, progress=bar)
        finally:
            bar.close()
        paths = write_outputs(result, out)
        if not quiet:
            _print_summary(result, spec.lang)
            for note in result.panel.notes:
                click.echo(_("note: {note}", note=note), err=True)
            click.echo(_("Outputs: {paths}", paths=", ".join(str(p) for p in paths.values())))
    return result


@main.command("run")
@click.argument("spec_path", metavar="SPEC", type=click.Path(dir_okay=False))
@click.option("--out", "out", type=click.Path(file_okay=False), required=True, help="Output folder.")
@LANG
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def run_cmd(spec_path: str, out: str, lang: str | None, quiet: bool) -> None:
    """Run a YAML spec; write OUT/result.json, OUT/result.xlsx and OUT/report.html."""
    from cbeclab.io.atomic import ensure_dir
    from cbeclab.spec import load_spec

    ensure_dir(out)
    _run_and_write(load_spec(spec_path), Path(out), lang, quiet)


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
def demo_cmd(out: str, lang: str | None) -> None:
    """Run the bundled demo: Guangzhou cluster trade 2010-2021 (seed 001 Table 2) + synthetic cluster indicators."""
    from cbeclab.examples import demo_spec

    _run_and_write(demo_spec(), Path(out), lang, quiet=False)


#: how the one-off commands' messages name their options (their own flags, never spec fields)
_FLAGS = {
    "entity": "--entity",
    "period": "--period",
    "indicator_col": "--indicator-col",
    "value_col": "--value-col",
    "allow_constant": "leave these indicators out of --subsystem / --benefit",
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
]


def _common(f: Any) -> Any:
    import functools

    for deco in reversed(_COMMON):
        f = deco(f)

    @functools.wraps(f)
    def wrapper(**kw: Any) -> Any:
        _READ.clear()
        _READ.update({k: kw.pop(k) for k in ("header_row", "skip_footer", "delimiter", "decimal", "layout")})
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
) -> None:
    """Objective weights of the indicators of a panel CSV/XLSX."""
    from cbeclab.evaluate.weights import compute_weights

    named = [c.strip() for c in f"{benefit or ''},{cost or ''}".split(",") if c.strip()] if benefit else None
    panel = _read_one_off(data, entity, period, impute, named)
    dirs = _directions(panel, benefit, cost)
    _require_complete(panel, data)
    res = compute_weights(panel.data[list(dirs)], dirs, method, scope=cast(Any, scope))
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
