"""Connecting to a Dask cluster: one place for the client and its error messages.

Used by the SEM bootstrap (:mod:`cbeclab.sem.bootstrap`), the partitioned engine
(:func:`cbeclab.pipeline.run_spec` with ``scheduler=``) and the sensitivity analysis
(:mod:`cbeclab.sensitivity`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cbeclab.errors import SpecError

__all__ = ["dask_client"]


@contextmanager
def dask_client(scheduler: Any) -> Iterator[Any]:
    """A ``distributed.Client`` for ``scheduler`` (a ``"tcp://host:port"`` address or a Client).

    A client made here from an address is closed on exit; a Client passed in is left open.
    Raises :class:`~cbeclab.errors.SpecError` when ``distributed`` is missing or the scheduler
    cannot be reached (the message says how to start one).
    """
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise SpecError(
            "a Dask scheduler was given but `distributed` is not installed",
            where="scheduler",
            fix="pip install 'dask[distributed]' or leave scheduler=None",
        ) from exc
    own = not isinstance(scheduler, Client)
    if own:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise SpecError(
                f"cannot reach the Dask scheduler {scheduler!r} ({type(exc).__name__})",
                where="scheduler",
                fix="start it (`dask scheduler`, then `dask worker ADDRESS`) or run without a scheduler",
            ) from None
    else:
        client = scheduler
    try:
        yield client
    finally:
        if own:
            client.close()
