"""Language of the command line: ``--lang zh|en`` on every command and translated ``--help``.

click evaluates ``help=`` strings and docstrings when a module is imported, before the language is
known, so the text stays English (the message id) in the command objects and is translated while the
help page is formatted. The language comes from ``--lang`` anywhere on the command line, else the
``CBECLAB_LANG`` environment variable, else English (:func:`cbeclab.i18n.resolve_lang`).

:class:`Command` (the class of every ``@main.command``) adds a ``--lang`` option when a command has
none, and runs the command inside :func:`cbeclab.i18n.use_lang`, so console lines and error messages
built with ``_()`` come out in the chosen language. :class:`Group` does the same for the group and
its help page. Help paragraphs are looked up with their white space collapsed, so a docstring's line
breaks do not change its message id; the Chinese texts live in ``i18n/locale/zh/LC_MESSAGES/cli.po``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import click

from cbeclab.i18n import LANGS, _, pgettext, resolve_lang, use_lang

#: the words click itself prints on help pages (its own gettext calls, which we replace)
CLICK_WORDS = ("Usage:", "Options", "Commands", "default: {default}", "required", "env var: {var}")


def lang_from_args(args: Sequence[str]) -> str | None:
    """The value of the last ``--lang X`` / ``--lang=X`` in ``args`` (``None`` when absent or unknown)."""
    found: str | None = None
    for i, a in enumerate(args):
        if a == "--":
            break
        if a == "--lang" and i + 1 < len(args):
            found = args[i + 1]
        elif a.startswith("--lang="):
            found = a.split("=", 1)[1]
    if found is not None and found.strip().lower()[:2] not in LANGS:
        return None  # click reports the bad choice; the page stays in the default language
    return found


def cli_lang(args: Sequence[str] | None = None) -> str:
    """Language of this command line: ``--lang`` in ``args`` (default ``sys.argv``), else CBECLAB_LANG, else en."""
    return resolve_lang(lang_from_args(sys.argv[1:] if args is None else args))


def output_lang(given: str | None, spec: Any) -> str:
    """Language of a command's outputs: ``--lang``, else the spec's own ``lang`` when the file sets it,
    else CBECLAB_LANG, else en. ``spec`` is a pydantic model with a ``lang`` field."""
    if given:
        return resolve_lang(given)
    if "lang" in getattr(spec, "model_fields_set", ()):
        return resolve_lang(str(spec.lang))
    return resolve_lang()


def translate_help(text: str | None) -> str:
    """Translate a help text paragraph by paragraph (white space inside a paragraph collapsed)."""
    if not text:
        return text or ""
    paras = re.split(r"\n\s*\n", text.strip())
    out = []
    for p in paras:
        msgid = " ".join(p.split())
        out.append(_(msgid))
    return "\n\n".join(out)


#: usage words and type metavars click prints in English (translated as whole words)
_USAGE_WORDS = {"[OPTIONS]": "[OPTIONS]", "COMMAND": "COMMAND", "[ARGS]...": "[ARGS]..."}
_METAVARS = ("TEXT", "INTEGER", "FLOAT", "PATH", "FILE", "DIRECTORY", "BOOLEAN", "FILENAME", "INTEGER RANGE")


def _metavars(text: str) -> str:
    """Translate click's usage words and type metavars (``[OPTIONS]``, ``TEXT``, ``PATH``...)."""
    for word in sorted((*_USAGE_WORDS, *_METAVARS), key=len, reverse=True):
        pattern = r"(?<![\w\[])" + re.escape(word) + r"(?![\w\]])"
        if word.startswith("["):
            pattern = re.escape(word)
        text = re.sub(pattern, pgettext("metavar", word).replace("\\", "\\\\"), text)
    return text


def _translate_extra(help_text: str) -> str:
    """Translate click's trailing ``[default: x; required]`` block of an option's help."""
    m = re.search(r"\[([^\[\]]*)\]$", help_text)
    if not m:
        return help_text
    parts = []
    for piece in m.group(1).split("; "):
        if piece.startswith("default: "):
            parts.append(_("default: {default}", default=piece[len("default: ") :]))
        elif piece.startswith("env var: "):
            parts.append(_("env var: {var}", var=piece[len("env var: ") :]))
        elif piece == "required":
            parts.append(_("required"))
        else:
            parts.append(piece)
    return help_text[: m.start()] + "[" + "; ".join(parts) + "]"


def _store_lang(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        ctx.meta["cbeclab.lang"] = value
    return value


LANG_HELP = "Language of console lines, messages and outputs (default: CBECLAB_LANG, else en)."


def lang_option(expose: bool = True) -> click.Option:
    """The ``--lang zh|en`` option every command carries."""
    return click.Option(
        ["--lang"],
        type=click.Choice(list(LANGS)),
        default=None,
        help=LANG_HELP,
        expose_value=expose,
        callback=_store_lang,
        is_eager=True,
    )


class _Translated:
    """Mixin: help pages formatted in the command line's language."""

    help: str | None
    params: list[click.Parameter]

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # --lang is read before parsing, so that `--help --lang zh` (help is eager) and click's own
        # usage errors already know the language; ctx.meta is shared by nested contexts
        given = lang_from_args(args)
        if given:
            ctx.meta["cbeclab.lang"] = given
        return list(super().parse_args(ctx, args))  # type: ignore[misc]

    def _page_lang(self, ctx: click.Context) -> str:
        return resolve_lang(ctx.meta.get("cbeclab.lang"))

    def get_help(self, ctx: click.Context) -> str:
        with use_lang(self._page_lang(ctx)):
            return super().get_help(ctx)  # type: ignore[misc]

    def get_usage(self, ctx: click.Context) -> str:
        with use_lang(self._page_lang(ctx)):
            return super().get_usage(ctx)  # type: ignore[misc]

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        args = " ".join(_USAGE_WORDS.get(p, p) for p in pieces)
        formatter.write_usage(ctx.command_path, _metavars(args), prefix=_("Usage:") + " ")

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        original = self.help
        self.help = translate_help(original) if original else original
        try:
            super().format_help_text(ctx, formatter)  # type: ignore[misc]
        finally:
            self.help = original

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for param in self.get_params(ctx):  # type: ignore[attr-defined]
            with _param_help(param):
                rec = param.get_help_record(ctx)
            if rec is not None:
                rows.append((_metavars(rec[0]), _translate_extra(rec[1])))
        if rows:
            with formatter.section(_("Options")):
                formatter.write_dl(rows)
        if isinstance(self, click.Group):
            self.format_commands(ctx, formatter)

    def get_short_help_str(self, limit: int = 45) -> str:
        original = self.help
        self.help = translate_help(original) if original else original
        try:
            return str(super().get_short_help_str(limit))  # type: ignore[misc]
        finally:
            self.help = original


class _param_help:
    """Context manager: a parameter's ``help`` translated for the duration of one help record."""

    def __init__(self, param: click.Parameter) -> None:
        self.param = param
        self.original = getattr(param, "help", None)

    def __enter__(self) -> None:
        if self.original:
            self.param.help = translate_help(self.original)  # type: ignore[attr-defined]

    def __exit__(self, *exc: object) -> None:
        if self.original:
            self.param.help = self.original  # type: ignore[attr-defined]


class Command(_Translated, click.Command):
    """A cbeclab command: ``--lang`` added when missing, body run inside :func:`use_lang`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not any(p.name == "lang" for p in self.params):
            self.params.append(lang_option(expose=False))
        else:  # a command's own --lang: keep its help and default, but record the value
            for p in self.params:
                if p.name == "lang" and isinstance(p, click.Option):
                    p.callback = _store_lang
                    p.is_eager = True

    def invoke(self, ctx: click.Context) -> Any:
        with use_lang(ctx.meta.get("cbeclab.lang")):
            return super().invoke(ctx)


class Group(_Translated, click.Group):
    """The cbeclab group: subcommands are :class:`Command`; its own help page is translated."""

    command_class = Command

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.append(lang_option(expose=False))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is None or cmd.hidden:
                continue
            rows.append((name, cmd))
        if not rows:
            return
        limit = formatter.width - 6 - max(len(n) for n, _c in rows)
        with formatter.section(_("Commands")):
            formatter.write_dl([(n, c.get_short_help_str(limit)) for n, c in rows])

    def invoke(self, ctx: click.Context) -> Any:
        # parse_args saw the subcommand's --lang too (it scans all arguments), so messages printed by
        # the group (errors) use it
        with use_lang(ctx.meta.get("cbeclab.lang")):
            return super().invoke(ctx)


def walk(group: click.Group, ctx: click.Context | None = None) -> Iterator[tuple[str, click.Command]]:
    """Every command under ``group`` as (command path, command), the group first (for tests and docs)."""
    ctx = ctx or click.Context(group, info_name="cbeclab")
    yield ctx.command_path, group
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if cmd is None:
            continue
        sub = click.Context(cmd, info_name=name, parent=ctx)
        if isinstance(cmd, click.Group):
            yield from walk(cmd, sub)
        else:
            yield sub.command_path, cmd


__all__ = [
    "CLICK_WORDS",
    "Command",
    "Group",
    "LANG_HELP",
    "cli_lang",
    "lang_from_args",
    "lang_option",
    "output_lang",
    "translate_help",
    "walk",
]
