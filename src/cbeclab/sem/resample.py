"""Deterministic bootstrap resampling: row indices and resampled moments.

The row indices of bootstrap draw ``b`` depend only on ``(seed, b, n)``: draws are generated in
fixed-size blocks of :data:`BLOCK` draws, block ``j`` from its own random stream
``numpy.random.default_rng(SeedSequence(seed, spawn_key=(j,)))``. Any split of the draws into
chunks (one process, a local process pool, a Dask cluster) therefore yields the same draws.

Moments of a resample are computed from the resampling *counts* (how often each row was drawn),
so a whole chunk of draws costs two matrix products instead of a Python loop.
"""

from __future__ import annotations

import threading

import numpy as np

from cbeclab.errors import SpecError

#: draws per random-number block. Changing it changes every draw of every seed: never change it.
BLOCK = 100


def _check_range(n: int, start: int, stop: int) -> None:
    if n < 2:
        raise SpecError(
            f"bootstrap needs at least 2 observations, got {n}", where="data", fix="pass more rows"
        )
    if start < 0 or stop < start:
        raise SpecError(
            f"invalid draw range [{start}, {stop})", where="bootstrap draws", fix="use 0 <= start <= stop"
        )


def draw_indices(seed: int, n: int, start: int, stop: int, *, stream: int | None = None) -> np.ndarray:
    """Row indices of bootstrap draws ``start .. stop-1``.

    Parameters
    ----------
    seed
        Non-negative integer seed of the whole bootstrap.
    n
        Number of observations (rows) in the data.
    start, stop
        Half-open range of draw numbers.
    stream
        ``None`` (one sample) or the group number of a stratified (multi-group) bootstrap: group
        ``g`` draws from block streams ``spawn_key=(j, g + 1)``, independent of the others and of
        the one-sample streams ``spawn_key=(j,)``.

    Returns
    -------
    numpy.ndarray
        Integer array of shape ``(stop - start, n)``; row ``i`` holds the rows (0-based) drawn with
        replacement for draw ``start + i``.

    Notes
    -----
    Draw ``b`` is row ``b mod BLOCK`` of block ``b // BLOCK``; block ``j`` is
    ``default_rng(SeedSequence(seed, spawn_key=(j,))).integers(0, n, size=(BLOCK, n))``.
    The result for draw ``b`` is therefore independent of how the draws are split into chunks.
    Checked against: itself under re-chunking (``tests/test_bootstrap.py``).
    """
    _check_range(n, start, stop)
    if seed < 0:
        raise SpecError(f"seed must be >= 0, got {seed}", where="seed", fix="pass a non-negative integer")
    if stop == start:
        return np.empty((0, n), dtype=np.int64)
    parts = []
    for blk in range(start // BLOCK, (stop - 1) // BLOCK + 1):
        key = (blk,) if stream is None else (blk, int(stream) + 1)
        rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=key))
        idx = rng.integers(0, n, size=(BLOCK, n), dtype=np.int64)
        lo = max(start, blk * BLOCK) - blk * BLOCK
        hi = min(stop, (blk + 1) * BLOCK) - blk * BLOCK
        parts.append(idx[lo:hi])
    return np.concatenate(parts, axis=0)


def draw_counts(idx: np.ndarray, n: int) -> np.ndarray:
    """How many times each row appears in each draw: shape ``(m, n)``, rows sum to ``n``."""
    m = idx.shape[0]
    flat = (idx + (np.arange(m, dtype=np.int64) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=m * n).reshape(m, n).astype(np.float64)


def resampled_moments(X: np.ndarray, idx: np.ndarray, *, ddof: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Means and covariance matrices of the resampled data sets.

    Parameters
    ----------
    X
        Complete data, shape ``(n, p)``.
    idx
        Row indices from :func:`draw_indices`, shape ``(m, n)``.
    ddof
        Divisor ``n - ddof`` of the covariance: 0 gives the ML (biased) covariance lavaan fits with
        ``likelihood = "normal"``; 1 gives the unbiased one.

    Returns
    -------
    (means, covs)
        ``means`` of shape ``(m, p)``; ``covs`` of shape ``(m, p, p)``.

    Notes
    -----
    With counts ``w_bi`` (row ``i`` drawn ``w_bi`` times in draw ``b``) and ``Z = X - mean(X)``:
    ``mean_b = Z'w_b / n``, ``S_b = (Z' diag(w_b) Z - n mean_b mean_b') / (n - ddof)``, plus the
    full-sample mean back on ``mean_b``. Centring first avoids cancellation.
    Checked against: ``numpy.cov(X[idx_b].T, ddof=...)`` draw by draw (tests).
    """
    X = np.asarray(X, dtype=np.float64)
    return _moments(_centred(X), idx, ddof)


def _centred(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(center, Z, ZZ)``: column means, centred data and the row-wise products ``Z_i Z_j``
    (shape ``(n, p·p)``), shared by every block of one data set."""
    n, p = X.shape
    center = X.mean(axis=0)
    Z = X - center
    return center, Z, (Z[:, :, None] * Z[:, None, :]).reshape(n, p * p)


def _moments(
    cz: tuple[np.ndarray, np.ndarray, np.ndarray], idx: np.ndarray, ddof: int
) -> tuple[np.ndarray, np.ndarray]:
    center, Z, ZZ = cz
    n, p = Z.shape
    W = draw_counts(idx, n)
    m = W.shape[0]
    mean_c = W @ Z / n
    second = (W @ ZZ).reshape(m, p, p)
    covs = (second - n * mean_c[:, :, None] * mean_c[:, None, :]) / (n - ddof)
    covs = 0.5 * (covs + covs.transpose(0, 2, 1))
    return mean_c + center, covs


def block_covariances(X: np.ndarray, seed: int, start: int, stop: int, *, ddof: int = 0) -> np.ndarray:
    """Covariance matrices of draws ``start .. stop-1``, computed one whole block at a time.

    The arithmetic always runs on whole :data:`BLOCK`-sized blocks with one BLAS thread, so a draw's
    matrix is bit-for-bit the same whatever chunk it was computed in (the order of floating-point
    operations inside a matrix product can depend on its shape and thread count). Chunks aligned to
    :data:`BLOCK` waste nothing.

    Returns
    -------
    numpy.ndarray
        Shape ``(stop - start, p, p)``.
    """
    X = np.asarray(X, dtype=np.float64)
    n, p = X.shape
    _check_range(n, start, stop)
    out = np.empty((stop - start, p, p))
    if stop == start:
        return out
    with _one_blas_thread():
        cz = _centred(X)  # the same for every block (same numbers as resampled_moments)
        for blk in range(start // BLOCK, (stop - 1) // BLOCK + 1):
            b0 = blk * BLOCK
            _, covs = _moments(cz, draw_indices(seed, n, b0, b0 + BLOCK), ddof)
            lo, hi = max(start, b0), min(stop, b0 + BLOCK)
            out[lo - start : hi - start] = covs[lo - b0 : hi - b0]
    return out


def keep_freed_memory() -> bool:
    """Let glibc keep freed large blocks in the heap (``mallopt``) instead of returning them.

    A batched refit allocates and frees stacks of a few MB per step; glibc serves blocks above its
    mmap threshold (128 KiB, adjusted dynamically) with fresh pages and unmaps them on free, so
    every step pays page faults again (measured: ~90 faults per draw, a third of the refit time in
    the kernel).  Fixing the mmap threshold at 32 MiB and the trim threshold at 128 MiB keeps the
    pages.  Called in the bootstrap's worker processes and by ``cbeclab sem --bootstrap`` (processes
    cbeclab owns); a no-op returning False where glibc's ``mallopt`` is not available.
    """
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        ok = libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024) == 1
        ok = libc.mallopt(m_trim_threshold, 128 * 1024 * 1024) == 1 and ok
        return bool(ok)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return False


#: this process's BLAS is limited to one thread for good (see :func:`pin_one_blas_thread`)
_BLAS_PINNED = False
_blas_depth = 0
_blas_lock = threading.Lock()


def pin_one_blas_thread() -> None:
    """Limit BLAS (and OpenMP) to one thread for the rest of this process (bootstrap worker
    processes, whose parallelism is across draws); :class:`_one_blas_thread` is then free."""
    global _BLAS_PINNED
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except Exception:  # pragma: no cover - optional dependency
        return
    _BLAS_PINNED = True


class _one_blas_thread:
    """Context manager limiting BLAS to one thread (no-op when threadpoolctl is absent).

    Only the outermost of nested contexts (and none after :func:`pin_one_blas_thread`) calls
    threadpoolctl, whose scan of the loaded libraries costs several milliseconds a call (measured:
    0.23 s of a 2,000-draw bootstrap when every block entered it).
    """

    def __enter__(self) -> _one_blas_thread:
        global _blas_depth
        self._ctl: object | None = None
        with _blas_lock:
            outer = _blas_depth == 0 and not _BLAS_PINNED
            _blas_depth += 1
        if outer:
            try:
                from threadpoolctl import threadpool_limits

                self._ctl = threadpool_limits(1, user_api="blas")
            except Exception:  # pragma: no cover - optional dependency
                self._ctl = None
        return self

    def __exit__(self, *exc: object) -> None:
        global _blas_depth
        ctl = self._ctl
        if ctl is not None:
            ctl.restore_original_limits()  # type: ignore[attr-defined]
        with _blas_lock:
            _blas_depth -= 1
