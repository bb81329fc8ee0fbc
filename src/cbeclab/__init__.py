"""cbeclab: cross-border e-commerce x industrial cluster analytics.

Stages (one road for the data): spec -> io (load/validate) -> evaluate -> models -> diagnose -> render.
"""

from cbeclab.errors import (
    CbecError,
    CbecWarning,
    ConvergenceError,
    DataError,
    IdentificationError,
    ModelError,
    ModelSyntaxError,
    SpecError,
)

__version__ = "0.1.0"

__all__ = [
    "CbecError",
    "CbecWarning",
    "ConvergenceError",
    "DataError",
    "IdentificationError",
    "ModelError",
    "ModelSyntaxError",
    "SpecError",
    "__version__",
]
