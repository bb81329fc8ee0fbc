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
from cbeclab.errors import CbecError, SpecError


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
    help="Language of the HTML (default: the spec's lang).",
)
def diagnose_cmd(spec: Path, out: Path, lang: str | None) -> None:
    """Diagnose a pilot zone and a cluster from SPEC: development mode, empowerment pattern,
    four-subsystem coordination, influencing factors and explained recommendations."""
    from cbeclab.diagnose.report import run_diagnosis, write_diagnosis

    if not spec.exists():
        raise SpecError("spec file not found", where=str(spec), fix="check the path")
    try:
        report = run_diagnosis(spec)
        paths = write_diagnosis(report, out, lang)
    except CbecError:
        raise
    except (ValueError, KeyError, TypeError, OSError) as exc:  # unexpected input shapes: still no traceback
        raise SpecError(
            f"the diagnosis failed: {exc}", where=str(spec), fix="check the spec and its files"
        ) from None
    top = report.modes.top.key if report.modes is not None else "-"
    click.echo(
        f"wrote {', '.join(str(p) for p in paths.values())} "
        f"(top mode: {top}; {len(report.recommendations)} recommendations)"
    )
