"""HTTP on loopback with the standard library: one request, a streamed download, and a fixed
number of concurrent connections kept busy for a while (threads in a few processes, so the
client is not held back by one interpreter's lock). Only 127.0.0.1 is ever contacted."""

from __future__ import annotations

import http.client
import multiprocessing
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

HOST = "127.0.0.1"


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]
    elapsed_ms: float
    cookies: dict[str, str] = field(default_factory=dict)  # name → value, from every Set-Cookie


def request(port: int, method: str, path: str, headers: dict[str, str] | None = None,
            body: bytes | None = None, timeout: float = 60.0) -> Reply:
    """One request on a new connection (as a different device would make it)."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        raw = response.getheaders()
        cookies = dict(v.split(";", 1)[0].split("=", 1) for k,
                       v in raw if k.lower() == "set-cookie" and "=" in v)
        return Reply(response.status, data, {k.lower(): v for k, v in raw},
                     (time.perf_counter() - started) * 1000, cookies)
    finally:
        connection.close()


@dataclass
class Download:
    status: int
    first_byte_ms: float
    total_ms: float
    size: int


def download(port: int, path: str, headers: dict[str, str], on_progress: Callable[[], None] | None = None,
             chunk: int = 65536) -> Download:
    """Read a (streamed) response piece by piece: time to the first body byte and to the end."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=120)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        first = response.read(1)
        first_byte = (time.perf_counter() - started) * 1000
        size = len(first)
        while True:
            data = response.read1(chunk) if hasattr(response, "read1") else response.read(chunk)
            if not data:
                break
            size += len(data)
            if on_progress:
                on_progress()
        return Download(response.status, first_byte, (time.perf_counter() - started) * 1000, size)
    finally:
        connection.close()


class Sampler:
    """Polls a number while something runs, and keeps the largest value seen."""

    def __init__(self, read: Callable[[], float], every: float = 0.01) -> None:
        self.read = read
        self.every = every
        self.peak = read()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.read())
            self._stop.wait(self.every)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.read())


@dataclass
class Throughput:
    completed: int
    seconds: float
    errors: int
    statuses: dict[int, int] = field(default_factory=dict)
    p50_ms: float = 0.0
    p95_ms: float = 0.0

    @property
    def rps(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0


def _worker(port: int, paths: list[str], headers: dict[str, str], start_at: float, stop_at: float,
            offset: int, stride: int, out: list[Any]) -> None:
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    errors = 0
    n = offset
    while time.time() < start_at:
        time.sleep(0.001)
    while time.time() < stop_at:
        path = paths[n % len(paths)]
        n += stride
        began = time.perf_counter()
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=30)
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            connection.close()
        except OSError:
            errors += 1
            continue
        if time.time() <= stop_at:
            statuses[response.status] += 1
            latencies.append((time.perf_counter() - began) * 1000)
    out.append((dict(statuses), latencies, errors))


def _process(port: int, paths: list[str], headers: dict[str, str], threads: int, first: int, total: int,
             start_at: float, stop_at: float, queue: Any) -> None:
    results: list[Any] = []
    pool = [threading.Thread(target=_worker, args=(port, paths, headers, start_at, stop_at, first + i, total,
                                                   results)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    queue.put(results)


def hammer(port: int, paths: list[str], headers: dict[str, str], *, concurrency: int = 50,
           seconds: float = 5.0, processes: int = 2, lead: float = 0.5) -> Throughput:
    """Keep ``concurrency`` connections busy with GETs of ``paths`` (in turn) for ``seconds``.

    Every request opens a new connection, as hundreds of different iPads would. Completed means
    answered (any status) before the time was up; a refused or dropped connection is an error.
    All connections start together, ``lead`` seconds from now (time for the processes to start).
    """
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    start_at = time.time() + lead
    stop_at = start_at + seconds
    workers, first = [], 0
    for p in range(processes):
        threads = concurrency // processes + (1 if p < concurrency % processes else 0)
        workers.append(context.Process(target=_process, args=(port, paths, headers, threads, first,
                                                              concurrency,
                                                              start_at, stop_at, queue), daemon=True))
        first += threads
    for worker in workers:
        worker.start()
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    errors = 0
    for _ in workers:
        for part_statuses, part_latencies, part_errors in queue.get(timeout=seconds + 120):
            statuses.update(part_statuses)
            latencies.extend(part_latencies)
            errors += part_errors
    for worker in workers:
        worker.join(timeout=30)
    latencies.sort()
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)] if latencies else 0.0
    return Throughput(sum(statuses.values()), seconds, errors, dict(statuses),
                      round(statistics.median(latencies), 1) if latencies else 0.0, round(p95, 1))
