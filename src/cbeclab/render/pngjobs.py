"""Chart PNGs drawn in a second process while the run writes its other outputs.

The Word report embeds every figure as a PNG; vl-convert draws one chart at a time and holds the
interpreter while it does, so in-process rendering adds up its full cost to a run. :class:`PngJobs`
starts a small process (:mod:`cbeclab.render._png_worker`, which imports only vl-convert) as soon as a
run starts writing, hands it the figures once the report Document is built, and collects the PNGs
when the Word file is assembled; in between, the run writes the store, result.json, result.xlsx and
report.html on the other core. The bytes are the ones :meth:`Chart.to_png` gives (same library, same
fonts and Vega-Lite version).

Anything that goes wrong in the helper process (it cannot start, a chart fails, it dies) only means
that the figure is drawn in-process instead; the helper never writes a file.

>>> jobs = PngJobs()          # doctest: +SKIP
>>> jobs.submit(doc.figures())  # doctest: +SKIP
>>> pngs = jobs.results()       # {Figure: PNG bytes}  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import json
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["PngJobs"]

_WORKER = Path(__file__).with_name("_png_worker.py")


class PngJobs:
    """A helper process that turns the figures of a Document into PNG bytes (see the module docstring)."""

    def __init__(self, scale: float = 2.0) -> None:
        self.scale = scale
        self._keys: list[Any] = []
        self._got: dict[Any, bytes] = {}
        self._thread: threading.Thread | None = None
        try:
            self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                [sys.executable, "-I", str(_WORKER)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            self._proc = None

    def submit(self, figures: Sequence[Any]) -> None:
        """Send the figures' charts to the helper; returns at once (a thread feeds and reads it)."""
        if self._proc is None or self._thread is not None:
            return
        from cbeclab.render.charts.base import FONT_DIRS, _vl_version

        jobs: list[dict[str, Any]] = []
        for f in figures:
            chart = f.chart
            kind = getattr(chart, "kind", None)
            if kind == "vega-lite" and isinstance(getattr(chart, "spec", None), dict):
                jobs.append({"kind": kind, "spec": chart.spec, "scale": self.scale})
            elif kind == "svg" and isinstance(getattr(chart, "svg", None), str):
                jobs.append({"kind": kind, "svg": chart.svg, "scale": self.scale})
            else:
                continue
            self._keys.append(f)
        header = {"fonts": list(FONT_DIRS), "vl_version": _vl_version()}
        lines = [json.dumps(header)] + [json.dumps(j, allow_nan=False) for j in jobs]
        payload = ("\n".join(lines) + "\n").encode("utf-8")
        self._thread = threading.Thread(target=self._talk, args=(payload,), daemon=True)
        self._thread.start()

    def _talk(self, payload: bytes) -> None:
        proc = self._proc
        assert proc is not None and proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(payload)
            proc.stdin.close()
            for key in self._keys:
                head = proc.stdout.read(8)
                if len(head) < 8:
                    break
                (n,) = struct.unpack(">Q", head)
                data = proc.stdout.read(n) if n else b""
                if n and len(data) == n:
                    self._got[key] = data
        except (OSError, ValueError):
            pass

    def results(self, timeout: float = 600.0) -> dict[Any, bytes]:
        """PNG bytes by Figure (the objects given to :meth:`submit`), for those the helper drew."""
        if self._thread is not None:
            self._thread.join(timeout)
        self.close()
        return dict(self._got)

    def close(self) -> None:
        """Stop the helper if it still runs (a run that failed before its Word report)."""
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
