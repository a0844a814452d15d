"""Starting and stopping gunicorn on loopback for the benchmark, the load test and their tests.

Each server is a process group of its own (``start_new_session``) stopped by its master's pid:
SIGTERM, a grace period, then SIGKILL of that one group. Nothing here looks processes up by name.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def worker_pids(self) -> list[int]:
        """gunicorn's workers: the master's children."""
        try:
            text = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, grace: float = 10.0) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def start_gunicorn(app_spec: str, *, name: str, env: dict[str, str], log_dir: Path, workers: int = 2,
                   threads: int = 1, port: int | None = None, timeout: float = 180.0,
                   health_path: str = "/healthz") -> Server:
    """Start ``gunicorn app_spec`` on 127.0.0.1 and wait until ``health_path`` answers 200."""
    port = port or free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}-{port}.log"
    log = log_path.open("wb")
    command = [sys.executable, "-m", "gunicorn", "--bind", f"{HOST}:{port}", "--workers", str(workers),
               "--worker-class", "gthread" if threads > 1 else "sync", "--threads", str(threads),
               "--backlog", "2048", "--timeout", "120", "--graceful-timeout", "5", "--log-level", "warning",
               app_spec]
    full_env = {**os.environ, **env, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    process = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=log,  # noqa: S603 - our own command
                               stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(name, port, process, log_path, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            server.stop()
            raise RuntimeError(f"{name} exited at start:\n{server.log_tail()}")
        if _healthy(port, health_path) and len(server.worker_pids()) >= workers:
            return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{name} did not answer {health_path} within {timeout:.0f} s:\n{server.log_tail()}")


def _healthy(port: int, path: str) -> bool:
    """Does ``path`` answer 200? The connection is closed on every path (a refused or timed-out
    one too): an unclosed socket is a ResourceWarning, which the tests turn into an error."""
    connection = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status == 200
    except OSError:
        return False
    finally:
        connection.close()


def app_env(database_url: str, schema: str, secret_key: str, notes_keys: str, instance: Path,
            **extra: str) -> dict[str, str]:
    """The environment that configures the real app the same way as the in-process one."""
    env = {"FACILITATOR_DATABASE_URL": database_url, "FACILITATOR_DATABASE_SCHEMA": schema,
           "FACILITATOR_SECRET_KEY": secret_key, "FACILITATOR_NOTES_KEYS": notes_keys,
           "FACILITATOR_MAIL_OUTBOX_DIR": str(instance / "outbox"), "FACILITATOR_LOG_LEVEL": "WARNING",
           "BENCH_INSTANCE_PATH": str(instance)}
    env.update(extra)
    return env
