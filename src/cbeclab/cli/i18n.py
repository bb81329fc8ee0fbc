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

import importlib
import re
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from typing import Any

import click

from cbeclab.i18n import LANGS, _, pgettext, resolve_lang, use_lang

#: the words click itself prints on help pages (its own gettext calls, which we replace)
CLICK_WORDS = ("Usage:", "Options", "Commands", "default: {default}", "required", "env var: {var}")


#: click modules whose own messages (usage errors, "Error: ...", "Try ... for help.") we translate
_CLICK_MODULES = (
    "click.core",
    "click.exceptions",
    "click.parser",
    "click.types",
    "click.decorators",
    "click.formatting",
    "click.termui",
)


def _click_gettext(message: str) -> str:
    """click's own English text in the current language (msgctxt "click", else the plain id)."""
    return message if resolve_lang() == "en" else pgettext("click", message)


def _click_ngettext(singular: str, plural: str, n: int) -> str:
    return _click_gettext(singular if n == 1 else plural)


def install_click_translations() -> None:
    """Route click's gettext calls through the catalogue (English stays click's own text).

    click looks its messages up with the standard library's ``gettext``, bound as ``_`` and
    ``ngettext`` in each of its modules; binding our lookup there translates click's usage errors
    in the language of the running command. Idempotent.
    """
    for name in _CLICK_MODULES:
        mod = importlib.import_module(name)
        if hasattr(mod, "_"):
            mod._ = _click_gettext  # type: ignore[attr-defined]
        if hasattr(mod, "ngettext"):
            mod.ngettext = _click_ngettext  # type: ignore[attr-defined]


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
_METAVARS = (
    "TEXT",
    "INTEGER",
    "FLOAT",
    "PATH",
    "FILE",
    "DIRECTORY",
    "BOOLEAN",
    "FILENAME",
    "INTEGER RANGE",
    "FLOAT RANGE",
)


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


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: East Asian wide and full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


#: punctuation that must not start a line (it stays at the end of the line before)
_NO_LINE_START = frozenset("）。，、；：！？」』》)]")
#: punctuation that must not end a line (it moves down to the next)
_NO_LINE_END = frozenset("（「『《([")


def wrap_display(text: str, width: int) -> list[str]:
    """Wrap ``text`` to ``width`` terminal columns; Chinese may break between any two characters.

    Closing punctuation never starts a line: the character before it moves down with it.
    """
    tokens = re.findall(
        r"[\u2e80-\u9fff\uff00-\uffef\u3000-\u303f]|[^\s\u2e80-\u9fff\uff00-\uffef\u3000-\u303f]+|\s+", text
    )
    lines: list[list[str]] = []
    cur: list[str] = []
    for tok in tokens:
        if tok.isspace():
            if not cur:
                continue
            tok = " "
        if cur and display_width("".join(cur) + tok) > width:
            keep, carry = list(cur), list[str]()
            if tok in _NO_LINE_START:  # move the character before it (and its punctuation) down too
                while keep:
                    carry.insert(0, keep.pop())
                    if carry[0] not in _NO_LINE_START:
                        break
            while keep and keep[-1] in _NO_LINE_END:
                carry.insert(0, keep.pop())
            if not keep:  # nothing can move: let the line run over
                cur.append(tok)
                continue
            lines.append(keep)
            cur = [*carry, tok] if tok != " " else carry
        else:
            cur.append(tok)
    if cur:
        lines.append(cur)
    return [out for out in ("".join(line).strip() for line in lines) if out]


class HelpFormatter(click.HelpFormatter):
    """click's help formatter measuring text in terminal columns, so Chinese help lines up and wraps."""

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}" + _("{heading}:", heading=heading) + "\n")

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        width = max(self.width - self.current_indent, 11)
        for i, para in enumerate(p for p in re.split(r"\n\s*\n", text) if p.strip()):
            if i:
                self.write("\n")
            for line in wrap_display(" ".join(para.split()), width):
                self.write(f"{indent}{line}\n")

    def write_dl(self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        first_col = min(max((display_width(r[0]) for r in rows), default=0), col_max) + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if display_width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - display_width(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap_display(second, max(self.width - first_col - 2, 10)) or [""]
            self.write(f"{lines[0]}\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n")


class Context(click.Context):
    """A click context whose help pages use :class:`HelpFormatter`."""

    formatter_class = HelpFormatter


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

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        # click builds (and caches) --help with its gettext text of that moment; keep the English id,
        # which format_options translates for the page being printed
        opt: click.Option | None = super().get_help_option(ctx)  # type: ignore[misc]
        if opt is not None:
            opt.help = "Show this message and exit."
        return opt

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

    context_class = Context

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
    context_class = Context

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

    def main(self, args: Sequence[str] | None = None, *a: Any, **kw: Any) -> Any:
        # the language for the whole run, parsing included, so click's usage errors are translated too
        argv = list(sys.argv[1:] if args is None else args)
        with use_lang(lang_from_args(argv)):
            return super().main(argv, *a, **kw)

    def invoke(self, ctx: click.Context) -> Any:
        # parse_args saw the subcommand's --lang too (it scans all arguments), so messages printed by
        # the group (errors) use it
        with use_lang(ctx.meta.get("cbeclab.lang")):
            return super().invoke(ctx)


install_click_translations()


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
    "install_click_translations",
    "lang_from_args",
    "lang_option",
    "output_lang",
    "translate_help",
    "walk",
]
