"""One exception hierarchy for every user-facing failure.

Every message says *where* (file, row, column, field, line) and *what to do*.
The CLI and the web app catch :class:`CbecError` and print ``message`` only,
so no traceback reaches a user.
"""

from __future__ import annotations


class CbecError(Exception):
    """Base of all cbeclab errors.

    Parameters
    ----------
    message
        What went wrong, in plain words.
    where
        Location: file, row, column, field or syntax line (optional).
    fix
        What the user should do about it (optional).
    """

    def __init__(self, message: str, *, where: str | None = None, fix: str | None = None) -> None:
        self.message = message
        self.where = where
        self.fix = fix
        super().__init__(self.__str__())

    def __str__(self) -> str:
        from cbeclab.i18n import _

        parts = []
        if self.where:
            parts.append(_("{where}: ", where=_clip(self.where)))
        parts.append(_clip(self.message))
        if self.fix:
            parts.append(_(" Fix: {fix}", fix=_clip(self.fix)))
        return "".join(parts)


#: the longest message part shown (a message never floods a terminal or a log)
MAX_PART = 2000


def _clip(text: str) -> str:
    text = str(text)
    return text if len(text) <= MAX_PART else text[: MAX_PART - 1] + "…"


class DataError(CbecError):
    """Bad input data: unreadable file, non-numeric cell, duplicate key, missing column..."""


class SpecError(CbecError):
    """Bad spec / framework / profile / option (YAML or Python call)."""


class OutputError(CbecError):
    """An output file or folder cannot be written (unwritable, a file in the way, no such drive)."""


class ModelError(CbecError):
    """A model cannot be fitted or evaluated on the given data."""


class ModelSyntaxError(ModelError):
    """lavaan-style model syntax could not be parsed (message gives line and column)."""


class IdentificationError(ModelError):
    """The model is not identified (too few moments, unscaled factor...)."""


class ConvergenceError(ModelError):
    """An iterative estimator did not converge (message gives the reason)."""


class CbecWarning(UserWarning):
    """Non-fatal issue attached to a result (Heywood case, imputed cells, data inconsistency)."""
