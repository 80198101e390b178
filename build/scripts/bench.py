"""Functions the benchmarks (build/bench) drive."""

import time


def inc(x):
    return x + 1


# The plain Python loop `build/bench calls` compares with: module-level code
# (names in a dict, as in a script), the same text in a python3 process and
# in Pd's embedded interpreter (which runs libpython's shared library).
LOOP = """
x = 0
t = perf_counter()
for _ in range(n):
    x = f(x)
elapsed = perf_counter() - t
"""


def loop_ms(n):
    """Runs LOOP for `n` calls of `inc`; its time in ms."""
    scope = {"f": inc, "n": int(n), "perf_counter": time.perf_counter}
    exec(LOOP, scope)
    return scope["elapsed"] * 1000


def burn(ms=50):
    """CPU-bound pure Python for about `ms` milliseconds (the jitter benchmark's load)."""
    end = time.perf_counter() + ms / 1000
    n = 0
    while time.perf_counter() < end:
        n += 1
    return n


# The benchmarks' clock: CLOCK_MONOTONIC on Linux, the clock other processes
# (build/bench's USB device) stamp with too.
now_ns = time.perf_counter_ns


def stamp(_=None):
    """The moment this job ends, as a symbol (a Pd float can't hold it)."""
    return str(now_ns())


def latency_us(stamped):
    """Microseconds since `stamp` ran, measured on the scheduler thread."""
    return (now_ns() - int(stamped)) / 1000


_arrivals = []


def usb_arrived(_selector, ch, pitch, vel):
    """Stamps a `note CH PITCH VEL` from [pyrus.usb] with the moment it left
    the outlet, under the sequence number the bench device put in it."""
    _arrivals.append(((int(ch) - 1) * 128 * 127 + int(pitch) * 127 + int(vel) - 1, now_ns()))


def usb_arrivals(path, *_):
    """Writes the `usb_arrived` stamps to `path`, one `SEQ NS` a line; returns how many."""
    with open(path, "w") as f:
        f.writelines(f"{seq} {ns}\n" for seq, ns in _arrivals)
    return len(_arrivals)
