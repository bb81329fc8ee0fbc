"""Start ``cbeclab serve`` in a subprocess on a free loopback port (shared by the web tests and benchmarks)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

#: process id of the most recent server started by :func:`serve` (the benchmark samples its memory)
LAST_PID: list[int] = []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(data: Path, *args: str, token: str | None = None, timeout: float = 60.0) -> Iterator[str]:
    """Run the workbench until the block ends; yields its base URL."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    env.pop("CBECLAB_TOKEN", None)
    cmd = [
        sys.executable,
        "-m",
        "cbeclab",
        "serve",
        "--data",
        str(data),
        "--port",
        str(port),
        "--no-browser",
        *args,
    ]
    if token:
        cmd += ["--token", token]
    proc = subprocess.Popen(
        cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    LAST_PID[:] = [proc.pid]
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read().decode() if proc.stdout else ""
                raise RuntimeError(f"cbeclab serve exited with {proc.returncode}: {out}")
            try:
                httpx.get(
                    url + "/api/openapi.json",
                    timeout=1.0,
                    headers={"Authorization": f"Bearer {token}"} if token else {},
                )
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
