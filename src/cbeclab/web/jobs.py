"""Background runs: one worker process per run, progress in the store, cancel, crash and restart handling.

A run executes :func:`execute` in a fresh process (``spawn``), so a crash, a hang or a cancel never
takes the server down and several analyses run side by side. The worker reports progress into the
SQLite store and finishes the run itself; a monitor thread in the server marks a run failed when its
process ended without doing so (killed, out of memory, segfault), with the exit code as the reason.
On start-up every run still marked live belonged to a previous server and is marked failed.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from cbeclab.i18n import pgettext
from cbeclab.web.db import Store

__all__ = ["JobManager", "execute"]


def execute(db_path: str, run_id: str, job: dict[str, Any]) -> None:
    """Worker entry point: run ``job`` (built by :func:`cbeclab.web.services.job_for`) and record the end."""
    from cbeclab.errors import CbecError
    from cbeclab.i18n import use_lang
    from cbeclab.web import services

    store = Store(db_path)
    store.start_run(run_id, os.getpid())
    last = [0.0]

    def progress(frac: float, step: str) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.25 or frac >= 1.0:
            last[0] = now
            store.set_progress(run_id, min(max(frac, 0.0), 1.0), step)

    try:
        with use_lang(job.get("lang")):
            services.run_job(job, progress)
            services.register_outputs(store, run_id, Path(job["out"]))
            from cbeclab.web.views import prerender

            try:  # a speed-up only: without the files the page renders the results on first view
                prerender(Path(job["out"]), {"id": run_id}, store.results(run_id))
            except Exception:
                traceback.print_exc()
        store.finish_run(run_id, "done")
    except CbecError as exc:
        store.finish_run(run_id, "failed", str(exc))
    except Exception as exc:  # any other failure: the user sees its type and message, the log the traceback
        traceback.print_exc()
        with use_lang(job.get("lang")):
            msg = pgettext(
                "web", "The run failed unexpectedly: {kind}: {msg}", kind=type(exc).__name__, msg=str(exc)
            )
        store.finish_run(run_id, "failed", msg)


class JobManager:
    """Starts worker processes and watches them; ``max_workers`` runs execute at once, the rest queue."""

    def __init__(self, store: Store, max_workers: int = 2) -> None:
        self.store = store
        self.max_workers = max(1, max_workers)
        self._ctx = mp.get_context("spawn")
        self._procs: dict[str, Any] = {}
        self._queue: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="cbeclab-jobs", daemon=True)
        self._thread.start()

    def submit(self, run_id: str, job: dict[str, Any]) -> None:
        with self._lock:
            self._queue.append((run_id, job))
        self._pump()

    def _pump(self) -> None:
        with self._lock:
            while self._queue and len(self._procs) < self.max_workers:
                run_id, job = self._queue.pop(0)
                run = self.store.run(run_id)
                if run is None or run["status"] != "queued":
                    continue  # cancelled while queued
                proc = self._ctx.Process(
                    target=execute, args=(str(self.store.path), run_id, job), name=f"cbeclab-run-{run_id}"
                )
                proc.start()
                self._procs[run_id] = proc

    def cancel(self, run_id: str, reason: str) -> bool:
        """Stop a queued or running run; returns False when it had already finished."""
        with self._lock:
            self._queue = [(r, j) for r, j in self._queue if r != run_id]
            proc = self._procs.get(run_id)
        changed = self.store.finish_run(run_id, "cancelled", reason)
        if proc is not None and proc.is_alive():
            proc.terminate()
            proc.join(5)
            if proc.is_alive():
                proc.kill()
        return changed

    def _watch(self) -> None:
        while not self._stop.wait(0.3):
            self.reap()

    def reap(self) -> None:
        """Mark runs whose worker ended without finishing them as failed; start queued runs."""
        with self._lock:
            ended = [(rid, p) for rid, p in self._procs.items() if not p.is_alive()]
            for rid, _p in ended:
                del self._procs[rid]
        for rid, proc in ended:
            proc.join(0)
            run = self.store.run(rid) or {}
            self.store.finish_run(
                rid,
                "failed",
                pgettext(
                    "web",
                    "the worker process ended unexpectedly (exit code {code})",
                    code=proc.exitcode,
                    lang=run.get("lang"),
                ),
            )
        if ended or self._queue:
            self._pump()

    def active(self) -> int:
        with self._lock:
            return len(self._procs) + len(self._queue)

    def shutdown(self, reason: str | None = None) -> None:
        self._stop.set()
        with self._lock:
            procs = list(self._procs.items())
            self._queue.clear()
        for rid, proc in procs:
            if proc.is_alive():
                proc.terminate()
                proc.join(5)
            run = self.store.run(rid) or {}
            msg = reason or pgettext(
                "web", "the server stopped while this run was in progress", lang=run.get("lang")
            )
            self.store.finish_run(rid, "failed", msg)
        with self._lock:
            self._procs.clear()
