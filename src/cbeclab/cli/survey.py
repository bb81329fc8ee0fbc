"""``cbeclab survey SPEC --out DIR``: seed 000's survey workflow end to end (issue 3).

Reads a survey spec (see ``docs/survey.md``), runs :func:`cbeclab.survey.workflow.run_survey` and writes
``survey.json``, ``survey.xlsx`` and ``survey.html`` into ``DIR``. Errors (bad spec, bad data, a model
that cannot be fitted) are printed as one ``error: ...`` line by the CLI group (exit code 2).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from cbeclab.cli import main
from cbeclab.cli.i18n import LANG_HELP, output_lang
from cbeclab.i18n import _, use_lang


class _BootBar:
    """tqdm bar on stderr for the bootstrap, fed by ``progress(done, total)``; silent when not a TTY."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, file=sys.stderr, desc=_("bootstrap"), unit=_("draw"), leave=False)
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@main.command("survey")
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for survey.json, survey.xlsx and survey.html.",
)
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None, help=LANG_HELP)
@click.option(
    "--bootstrap",
    "n_boot",
    type=click.IntRange(min=1),
    default=None,
    help="Bootstrap draws (default: the spec's bootstrap.draws, 5000).",
)
@click.option(
    "--seed", type=click.IntRange(min=0), default=None, help="Bootstrap seed (default: the spec's seed)."
)
@click.option("--scheduler", default=None, help="Dask scheduler address (tcp://host:port) for the bootstrap.")
def survey_cmd(
    spec: Path, out: Path, lang: str | None, n_boot: int | None, seed: int | None, scheduler: str | None
) -> None:
    """Run the survey workflow of SPEC (reliability, validity, CFA, SEM, mediation) and write its tables."""
    from cbeclab.survey.report import write_survey_outputs
    from cbeclab.survey.spec import load_survey_spec
    from cbeclab.survey.workflow import run_survey

    s = load_survey_spec(spec)
    changes: dict[str, Any] = {}
    if n_boot is not None:
        changes["bootstrap"] = s.bootstrap.model_copy(update={"draws": n_boot})
    if seed is not None:
        changes["seed"] = seed
    if scheduler is not None:
        changes["scheduler"] = scheduler
    changes["lang"] = output_lang(lang, s)
    s = s.model_copy(update=changes)
    with use_lang(s.lang):
        bar = _BootBar(sys.stderr.isatty())
        try:
            result = run_survey(s, progress=bar)
        finally:
            bar.close()
        paths = write_survey_outputs(result, out, s.lang)
        c = result.checked
        line = _("respondents used: {used} / {raw}", used=c.n_used, raw=c.n_raw)
        if c.n_dropped:
            line += _(" ({n} dropped listwise)", n=c.n_dropped)
        click.echo(line)
        for w in result.warnings:
            click.echo(_("warning: {message}", message=w), err=True)
        for p in paths.values():
            click.echo(str(p))
