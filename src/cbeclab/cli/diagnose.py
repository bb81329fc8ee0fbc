"""``cbeclab diagnose SPEC --out DIR [--lang zh|en]``: decision support (issue 4).

Reads a diagnose spec (city profile, cluster empowerment profile, optional panel + seed002 mapping,
optional SEM result JSON; see :mod:`cbeclab.diagnose.report`), runs
:func:`cbeclab.diagnose.run_diagnosis` and writes ``DIR/diagnosis.json`` and ``DIR/diagnosis.html``
atomically. Errors are printed as one ``error: ...`` line (exit code 2), never as a traceback.
"""

from __future__ import annotations

from pathlib import Path

import click

from cbeclab.cli import main
from cbeclab.cli.i18n import LANG_HELP, output_lang
from cbeclab.errors import CbecError, SpecError
from cbeclab.i18n import _, use_lang


@main.command("diagnose")
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for diagnosis.json, .xlsx, .html and .docx.",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default=None,
    help=LANG_HELP,
)
def diagnose_cmd(spec: Path, out: Path, lang: str | None) -> None:
    """Diagnose a pilot zone and a cluster from SPEC: development mode, empowerment pattern,
    four-subsystem coordination, influencing factors and explained recommendations."""
    from cbeclab.diagnose.report import load_diagnose_spec, run_diagnosis, write_diagnosis

    if not spec.exists():
        raise SpecError(_("spec file not found"), where=str(spec), fix=_("check the path"))
    s, base = load_diagnose_spec(spec)
    s = s.model_copy(update={"lang": output_lang(lang, s)})
    with use_lang(s.lang):
        try:
            report = run_diagnosis(s, base)
            paths = write_diagnosis(report, out, s.lang)
        except CbecError:
            raise
        except (ValueError, KeyError, TypeError, OSError) as exc:  # unexpected input shapes: no traceback
            raise SpecError(
                _("the diagnosis failed: {reason}", reason=exc),
                where=str(spec),
                fix=_("check the spec and its files"),
            ) from None
        top = report.modes.top.key if report.modes is not None else "-"
        if report.modes is not None:
            from cbeclab.i18n.names import display_name

            top = display_name("mode", top, s.lang)
        click.echo(
            _(
                "wrote {json} and {html} (top mode: {mode}; {n} recommendations)",
                json=paths["json"],
                html=", ".join(str(paths[k]) for k in ("xlsx", "html", "docx")),
                mode=top,
                n=len(report.recommendations),
            )
        )
