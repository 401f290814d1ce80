"""Median seconds per call over interleaved repeats, ratios paired by repeat."""

from __future__ import annotations

import statistics
import time

import jax


def block_mixed(out):
    """Waits for a JAX array; torch results are ready when returned."""
    return jax.block_until_ready(out) if hasattr(out, "block_until_ready") else out


def time_group(fns: dict, repeats: int, min_time: float,
               block=jax.block_until_ready, pause: float = 0.0) -> Timings:
    """Median seconds per call of each fn, over interleaved repeats.

    Each fn is called once to compile and once more to size an inner loop of
    about ``min_time`` seconds; then every repeat runs every fn's inner loop
    (alternating the order), blocking on each result. ``pause`` sleeps
    before each sample: JAX's and torch's thread pools spin for a while
    after their work, and in one process they would slow each other down.
    """
    inner = {}
    for name, fn in fns.items():
        block(fn())
        t0 = time.perf_counter()
        block(fn())
        dt = time.perf_counter() - t0
        inner[name] = max(1, min(10_000, int(min_time / max(dt, 1e-7))))
    samples = {name: [] for name in fns}
    names = list(fns)
    for r in range(repeats):
        for name in (names if r % 2 == 0 else names[::-1]):
            fn, n = fns[name], inner[name]
            if pause:
                time.sleep(pause)
            t0 = time.perf_counter()
            for _ in range(n):
                block(fn())
            samples[name].append((time.perf_counter() - t0) / n)
    return Timings(samples)


class Timings(dict):
    """Median seconds per call by name; ``ratio`` pairs samples by repeat."""

    def __init__(self, samples):
        super().__init__({k: statistics.median(v) for k, v in samples.items()})
        self.samples = samples

    def ratio(self, num, den):
        """Median over repeats of time[num] / time[den], same repeat each.

        Pairing cancels a slow moment of the machine that hit both.
        """
        return statistics.median(a / b for a, b in
                                 zip(self.samples[num], self.samples[den]))


def format_ms(times: dict) -> str:
    """``name 1.2 ms, ...`` for a log line."""
    return ", ".join(f"{k} {v * 1e3:.1f} ms" for k, v in times.items())
