"""Command-line interface: thin callers of the public functions.

Every subcommand lives in its own module of this package and registers itself on :data:`main`.
Every command is a :class:`cbeclab.cli.i18n.Command`: it takes ``--lang zh|en`` (default
``CBECLAB_LANG``, else en), runs inside :func:`cbeclab.i18n.use_lang` and formats its ``--help`` in
that language. Errors derived from :class:`cbeclab.errors.CbecError` are printed as one message (exit code 2),
never as a traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from cbeclab.cli.i18n import Group, lang_from_args
from cbeclab.errors import CbecError

#: subcommand modules, imported lazily so that `cbeclab --help` stays fast
SUBCOMMAND_MODULES = (
    "cbeclab.cli.engine",  # run, demo, weights, synergy, coupling (issue 2)
    "cbeclab.cli.sem",  # sem (issue 3)
    "cbeclab.cli.survey",  # survey (issue 3)
    "cbeclab.cli.diagnose",  # diagnose (issue 4)
    "cbeclab.cli.serve",  # serve: the web workbench (issue 9)
)


def print_error(exc: CbecError) -> None:
    """One line on stderr: ``error: <where>: <what> Fix: <fix>`` (``错误：`` under zh)."""
    from cbeclab.i18n import _

    line = " ".join(str(exc).split())  # one line, whatever the message holds
    click.echo(_("error: {message}", message=line), err=True)


class _Group(Group):
    def invoke(self, ctx: click.Context) -> Any:
        from cbeclab.i18n import use_lang

        try:
            # the subcommand's --lang (seen by Group.parse_args) also sets the language of its error line
            with use_lang(ctx.meta.get("cbeclab.lang") or lang_from_args([*ctx.protected_args, *ctx.args])):
                try:
                    return super().invoke(ctx)
                except CbecError as exc:
                    print_error(exc)
                    sys.exit(2)
        except CbecError as exc:  # a bad CBECLAB_LANG
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
