"""Command-line interface: thin callers of the public functions.

Every subcommand lives in its own module of this package and registers itself on :data:`main`.
The modules are imported lazily (:data:`COMMANDS`): a command's module when that command runs,
every module only when a help page lists them, so ``cbeclab sem ...`` does not pay for importing
the engine, survey, diagnose and web commands (measured: ``import cbeclab.cli`` 0.8-1.1 s with
eager registration, pandas included, against ~0.1 s).
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

#: command name -> the module defining it (imported on first use: see :class:`_Group`)
COMMANDS: dict[str, str] = {
    "run": "cbeclab.cli.engine",  # run, demo, weights, synergy, coupling (issue 2)
    "demo": "cbeclab.cli.engine",
    "weights": "cbeclab.cli.engine",
    "synergy": "cbeclab.cli.engine",
    "coupling": "cbeclab.cli.engine",
    "sem": "cbeclab.cli.sem",  # issue 3
    "survey": "cbeclab.cli.survey",  # issue 3
    "diagnose": "cbeclab.cli.diagnose",  # issue 4
    "serve": "cbeclab.cli.serve",  # the web workbench (issue 9)
}

#: subcommand modules (every value of :data:`COMMANDS`, in order)
SUBCOMMAND_MODULES = tuple(dict.fromkeys(COMMANDS.values()))


def _load(mod: str) -> None:
    """Import a subcommand module (it registers its commands on :data:`main`); a module that is
    absent from the installation is skipped, as the eager registration did."""
    try:
        importlib.import_module(mod)
    except ModuleNotFoundError as exc:
        if exc.name != mod:
            raise


def print_error(exc: CbecError) -> None:
    """One line on stderr: ``error: <where>: <what> Fix: <fix>`` (``错误：`` under zh)."""
    from cbeclab.i18n import _

    line = " ".join(str(exc).split())  # one line, whatever the message holds
    click.echo(_("error: {message}", message=line), err=True)


class _Group(Group):
    """The ``cbeclab`` group: lazy command registration (click's "lazy group" pattern) and one
    error line (exit code 2) for :class:`~cbeclab.errors.CbecError`."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            _load(COMMANDS[cmd_name])
        return self.commands.get(cmd_name)

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


#: set by :func:`exit_without_teardown`: :func:`entry` then ends the process without the interpreter's teardown
_FAST_EXIT = False


def exit_without_teardown() -> None:
    """Mark the command's work as finished and saved: when it succeeds, :func:`entry` ends the process
    with ``os._exit`` instead of the interpreter's teardown.

    After a national-size run the teardown only frees memory and unloads pandas, pyarrow and the
    renderers, which takes 0.3-0.4 s of a ~7 s command (measured with benchmarks/bench_end_to_end.py's
    panel). Callers use it only when every output is written and closed (files are fsynced and swapped
    in, helper processes and threads joined) and no exit handler has work to do. In-process calls
    (tests, notebooks: ``main(..., standalone_mode=False)``) never go through :func:`entry`, so for
    them it changes nothing.
    """
    global _FAST_EXIT
    _FAST_EXIT = True


def entry() -> None:
    """The ``cbeclab`` console command and ``python -m cbeclab``: :data:`main`, then the exit."""
    try:
        main()
        code: Any = 0
    except SystemExit as exc:
        code = exc.code
    if _FAST_EXIT and code in (0, None):
        import os

        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                sys.exit(1)  # a closed or broken stream: the normal exit reports it
        os._exit(0)
    sys.exit(code)


def load_all() -> None:
    """Import every subcommand module (``main.commands`` then holds every command)."""
    for mod in SUBCOMMAND_MODULES:
        _load(mod)
