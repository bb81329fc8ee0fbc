"""The message catalogue: every user-visible string, in English and Chinese.

Messages are gettext catalogues (``.po`` files) read with Babel. The English source text is the
message id, so English needs no catalogue; Chinese translations live under
``i18n/locale/zh/LC_MESSAGES/``. Every ``*.po`` file in that folder is loaded and merged, so each
part of the package (core, reports, web, errors, ...) can keep its own file without merge fights;
the same id must not be translated two different ways (a test checks it).

Use::

    from cbeclab.i18n import _, use_lang

    _("Synergy degree")                       # current language
    _("{n} missing cell(s)", n=5)             # fields are filled with str.format
    _("Synergy degree", lang="zh")            # explicit language
    with use_lang("zh"):                      # the CLI / web set it once per command / request
        ...

The language is resolved as: explicit ``lang=`` argument, else the innermost :func:`use_lang`,
else the ``CBECLAB_LANG`` environment variable, else English. Extraction for translators::

    pybabel extract -F babel.cfg -k _ -k gettext -k pgettext:1c,2 -o messages.pot src/cbeclab
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from typing import Any, TypeVar

from babel.messages.pofile import read_po

from cbeclab.errors import SpecError

#: supported output languages
LANGS: tuple[str, ...] = ("en", "zh")
DEFAULT_LANG = "en"
ENV_VAR = "CBECLAB_LANG"

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("cbeclab_lang", default=None)


def _normalise(lang: str) -> str:
    low = lang.strip().lower().replace("-", "_")
    if low.startswith("zh"):
        return "zh"
    if low.startswith("en"):
        return "en"
    raise SpecError(
        f"unknown language {lang!r}",
        where="lang",
        fix=f"use one of: {', '.join(LANGS)} (option --lang or the {ENV_VAR} environment variable)",
    )


def resolve_lang(lang: str | None = None) -> str:
    """The language to use: ``lang`` if given, else :func:`use_lang`'s, else ``CBECLAB_LANG``, else en."""
    if lang:
        return _normalise(lang)
    ctx = _current.get()
    if ctx:
        return ctx
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return _normalise(env)
    return DEFAULT_LANG


@contextmanager
def use_lang(lang: str | None) -> Iterator[str]:
    """Make ``lang`` the current language inside the block (``None`` keeps the resolved default)."""
    resolved = resolve_lang(lang)
    token = _current.set(resolved)
    try:
        yield resolved
    finally:
        _current.reset(token)


Key = tuple[str | None, str]  # (msgctxt, msgid)


@cache
def catalogue(lang: str) -> dict[Key, str]:
    """All translations for ``lang``, merged from every ``.po`` file of the package (cached)."""
    lang = _normalise(lang)
    out: dict[Key, str] = {}
    if lang == DEFAULT_LANG:
        return out
    folder = resources.files("cbeclab.i18n").joinpath("locale", lang, "LC_MESSAGES")
    if not folder.is_dir():
        return out
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".po"):
            continue
        with entry.open("rb") as fh:
            cat = read_po(fh, locale=lang)
        for msg in cat:
            if not msg.id or not msg.string or msg.fuzzy:
                continue
            if not isinstance(msg.id, str) or not isinstance(msg.string, str):
                continue  # plural forms are not used: write "{n} cell(s)"-style ids
            out[(msg.context, msg.id)] = msg.string
    return out


def _fill(text: str, fields: dict[str, Any]) -> str:
    return text.format(**fields) if fields else text


def gettext(msgid: str, *, lang: str | None = None, **fields: Any) -> str:
    """Translate ``msgid`` (English source text) into the current language and fill ``{fields}``."""
    code = resolve_lang(lang)
    text = catalogue(code).get((None, msgid), msgid) if code != DEFAULT_LANG else msgid
    return _fill(text, fields)


def pgettext(context: str, msgid: str, *, lang: str | None = None, **fields: Any) -> str:
    """Like :func:`gettext`, for an id that needs a context to be translated right (``msgctxt``)."""
    code = resolve_lang(lang)
    if code == DEFAULT_LANG:
        return _fill(msgid, fields)
    cat = catalogue(code)
    text = cat.get((context, msgid)) or cat.get((None, msgid)) or msgid
    return _fill(text, fields)


def has_translation(msgid: str, lang: str, context: str | None = None) -> bool:
    """True when ``lang`` has a translation of ``msgid`` (always true for English)."""
    code = _normalise(lang)
    return code == DEFAULT_LANG or (context, msgid) in catalogue(code)


T = TypeVar("T")


def pick(en: T, zh: T, lang: str | None = None) -> T:
    """The field of a bilingual data record (YAML profiles, rules, item texts) in ``lang``: the
    Chinese one for zh, the English one otherwise; an empty field falls back to the other language.
    ``lang`` resolves as in :func:`gettext` (``"zh-CN"`` counts as zh).

    >>> pick("Guangzhou", "广州", "zh"), pick("Guangzhou", "", "zh"), pick("x", "甲", "en")
    ('广州', 'Guangzhou', 'x')
    """
    first, second = (zh, en) if resolve_lang(lang) == "zh" else (en, zh)
    return first if first else second


_ = gettext

__all__ = [
    "DEFAULT_LANG",
    "ENV_VAR",
    "LANGS",
    "_",
    "catalogue",
    "gettext",
    "has_translation",
    "pgettext",
    "pick",
    "resolve_lang",
    "use_lang",
]
