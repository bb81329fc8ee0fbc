"""Command-line interface: thin callers of the public functions.

Every subcommand lives in its own module of this package and registers itself on :data:`main`.
Errors derived from :class:`cbeclab.errors.CbecError` are printed as one message (exit code 2),
never as a traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from cbeclab.errors import CbecError

#: subcommand modules, imported lazily so that `cbeclab --help` stays fast
SUBCOMMAND_MODULES = (
    "cbeclab.cli.engine",  # run, demo, weights, synergy, coupling (issue 2)
    "cbeclab.cli.sem",  # sem (issue 3)
    "cbeclab.cli.survey",  # survey (issue 3)
    "cbeclab.cli.diagnose",  # diagnose (issue 4)
    "cbeclab.cli.serve",  # serve: the web workbench (issue 9)
)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CbecError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=_Group)
@click.version_option(package_name="cbeclab")
def main() -> None:
    """cbeclab: CBEC x industrial cluster analytics (synergy, coordination, SEM, decision support)."""


def _register() -> None:
    for mod in SUBCOMMAND_MODULES:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:
                raise


_register()
