"""Functions the benchmarks (build/bench) drive."""

import time


def inc(x):
    return x + 1


def burn(ms=50):
    """CPU-bound pure Python for about `ms` milliseconds (the jitter benchmark's load)."""
    end = time.perf_counter() + ms / 1000
    n = 0
    while time.perf_counter() < end:
        n += 1
    return n


def stamp(_=None):
    """The moment this job ends, as a symbol (a Pd float can't hold it)."""
    return str(time.perf_counter_ns())


def latency_us(stamped):
    """Microseconds since `stamp` ran, measured on the scheduler thread."""
    return (time.perf_counter_ns() - int(stamped)) / 1000
