"""Chart PNGs drawn in a second process while the run writes its other outputs.

The Word report embeds every figure as a PNG; vl-convert draws one chart at a time and holds the
interpreter while it does, so in-process rendering adds up its full cost to a run. :class:`PngJobs`
starts a small process (:mod:`cbeclab.render._png_worker`, which imports only vl-convert) when a run
starts -- before the data is read, so the process has its fonts registered and its JavaScript engine
warmed up by the time the first chart exists. Charts are handed over as soon as they are built
(:meth:`PngJobs.submit`, any number of calls), drawn there one by one, and collected when the Word
file is assembled (:meth:`PngJobs.results`, or figure by figure with :meth:`PngJobs.pending`, so the
Word file's text and tables are built while the last figures are still being drawn); meanwhile the run builds the rest of the report and
writes the store, result.json, result.xlsx and report.html on the other core. The bytes are the ones
:meth:`Chart.to_png` gives (same library, same fonts and Vega-Lite version).

Two threads talk to the process: one writes the requests, one reads the PNGs, so neither side ever
waits for the other to drain a pipe. Anything that goes wrong in the helper process (it cannot start,
a chart fails, it dies) only means that the figure is drawn in-process instead; the helper never
writes a file.

>>> jobs = PngJobs()          # doctest: +SKIP
>>> jobs.submit(doc.figures())  # doctest: +SKIP
>>> pngs = jobs.results()       # {Figure: PNG bytes}  # doctest: +SKIP
>>> docx_bytes(doc, jobs.pending())  # waits for each figure when the Word file reaches it  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import json
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["PngJobs"]

_WORKER = Path(__file__).with_name("_png_worker.py")
_END = object()


class PngJobs:
    """A helper process that turns the figures of a Document into PNG bytes (see the module docstring)."""

    def __init__(self, scale: float = 2.0) -> None:
        from cbeclab.render.charts.base import FONT_DIRS

        self.scale = scale
        self._keys: queue.Queue[Any] = queue.Queue()  # figures sent, in order, for the reader
        self._out: queue.Queue[Any] = queue.Queue()  # request lines for the writer
        self._got: dict[Any, bytes] = {}
        self._sent: set[int] = set()  # id() of the figures handed to the helper and not answered yet
        self._answered = threading.Condition()
        self._reading = True  # the reader thread still runs
        self._threads: list[threading.Thread] = []
        self._closed_input = False
        try:
            self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                [sys.executable, "-I", str(_WORKER)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            self._proc = None
            return
        self._out.put((json.dumps({"fonts": list(FONT_DIRS)}) + "\n").encode("utf-8"))
        for target in (self._write, self._read):
            t = threading.Thread(target=target, daemon=True)
            t.start()
            self._threads.append(t)

    def submit(self, figures: Sequence[Any]) -> None:
        """Send these figures' charts to the helper; returns at once (may be called many times)."""
        if self._proc is None or self._closed_input:
            return
        from cbeclab.render.charts.base import _vl_version

        for f in figures:
            chart = f.chart
            kind = getattr(chart, "kind", None)
            if kind == "vega-lite" and isinstance(getattr(chart, "spec", None), dict):
                job = {"kind": kind, "spec": chart.spec, "scale": self.scale, "vl_version": _vl_version()}
            elif kind == "svg" and isinstance(getattr(chart, "svg", None), str):
                job = {"kind": kind, "svg": chart.svg, "scale": self.scale}
            else:
                continue
            try:
                line = json.dumps(job, allow_nan=False)
            except (TypeError, ValueError):
                continue  # not JSON: drawn in-process
            with self._answered:
                self._sent.add(id(f))
            self._keys.put(f)
            self._out.put((line + "\n").encode("utf-8"))

    def _write(self) -> None:
        proc = self._proc
        assert proc is not None and proc.stdin is not None
        try:
            while (item := self._out.get()) is not _END:
                proc.stdin.write(item)
                proc.stdin.flush()
        except (OSError, ValueError):
            pass
        with contextlib.suppress(OSError, ValueError):
            proc.stdin.close()

    def _read(self) -> None:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        try:
            while (key := self._keys.get()) is not _END:
                head = proc.stdout.read(8)
                if len(head) < 8:
                    break
                (n,) = struct.unpack(">Q", head)
                data = proc.stdout.read(n) if n else b""
                with self._answered:
                    if n and len(data) == n:
                        self._got[key] = data
                    self._sent.discard(id(key))
                    self._answered.notify_all()
        except (OSError, ValueError):
            pass
        finally:
            with self._answered:
                self._reading = False
                self._sent.clear()
                self._answered.notify_all()

    def _end_input(self) -> None:
        if not self._closed_input:
            self._closed_input = True
            self._out.put(_END)
            self._keys.put(_END)

    def results(self, timeout: float = 600.0) -> dict[Any, bytes]:
        """PNG bytes by Figure (the objects given to :meth:`submit`), for those the helper drew.

        Ends the input: later :meth:`submit` calls are ignored."""
        self._end_input()
        for t in self._threads:
            t.join(timeout)
        self.close()
        return dict(self._got)

    def pending(self) -> _Pending:
        """A view whose ``get(figure)`` waits until that figure is drawn (or failed) and returns its
        PNG bytes, or None when the helper did not draw it (never sent, failed, or the helper died).

        Ends the input, like :meth:`results`; the figures keep arriving while the caller works."""
        self._end_input()
        return _Pending(self)

    def _wait_for(self, figure: Any, timeout: float) -> bytes | None:
        with self._answered:
            self._answered.wait_for(lambda: id(figure) not in self._sent or not self._reading, timeout)
            return self._got.get(figure)

    def close(self) -> None:
        """Stop the helper if it still runs (a run that failed before its Word report)."""
        self._end_input()
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        for stream in (proc.stdin, proc.stdout):
            with contextlib.suppress(OSError, ValueError):
                if stream is not None:
                    stream.close()

    def __enter__(self) -> PngJobs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Pending:
    """What :meth:`PngJobs.pending` returns: ``get(figure)`` blocks until the helper answered it."""

    def __init__(self, jobs: PngJobs, timeout: float = 600.0) -> None:
        self._jobs = jobs
        self._timeout = timeout

    def get(self, figure: Any, default: bytes | None = None) -> bytes | None:
        png = self._jobs._wait_for(figure, self._timeout)
        return default if png is None else png
