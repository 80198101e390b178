"""The synchronous-call benchmark in the fake-max test kernel (`build/bench max`).

The kernel has no patch cords: every message is a line on its standard
input and every result a line on its standard output. So each round times,
one after the other in the same seconds:
  python    the plain Python loop calling bench.inc N times (as
            `build/bench calls` times it: bench_calls.python_ms)
  pyrus     N lines `send b 0 int I` to [pyrus bench.inc] in fake-max (on
            its main thread), then N lines `sched b 0 int I` (on its
            scheduler thread, where a synchronous call keeps its GIL lease to
            the end of the scheduler's pass)
  C         the same lines to a trivial C external (an int in, the int
            plus one out, build/bench_inc.c): the kernel's own cost per
            message (reading and parsing the line, delivering it, printing
            the result)
each kernel run timed from its first result to its last (a warm-up call
first, so the import is not timed), read in large chunks so that the reader
is never what waits. Ratios are taken within a round: the raw one,
pyrus / python, and the one without the kernel's cost, (pyrus - C) / python,
which is what pyrus's host and engine add per call beside Python's own
work, as `[+ 1]` stands for Pd's in `build/bench calls`. Prints every round,
then the median and range of each ratio.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_calls import ROOT, python_ms  # noqa: E402  (the same baseline as `build/bench calls`)

KERNEL = os.environ["PYRUS_FAKE_MAX"]
MAX_LINUX = os.environ["PYRUS_MAX_LINUX"]
C_SOURCE = os.path.join(ROOT, "build", "bench_inc.c")
C_INCLUDE = os.environ["FAKE_MAX_INCLUDE"]


def build_c(work):
    """Compiles the trivial C external against the kernel's header of facts."""
    out = os.path.join(work, "bench_inc.so")
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-I", C_INCLUDE, "-o", out, C_SOURCE], check=True)
    return out


def kernel_ms(work, load, text, n, deliver="send"):
    """Runs the kernel (in build/scripts: `bench` imports from there) on
    `load`, `new b TEXT`, a warm-up call and `n` timed calls (`deliver`:
    `send` on the kernel's main thread, `sched` on its scheduler): ms per `n`
    calls, from the first chunk of results read (the warm-up's, and those
    that came with it, which the figure then leaves out) to the last."""
    commands = f"load {load}\nnew b {text}\n{deliver} b 0 int 0\n" + "".join(
        f"{deliver} b 0 int {i}\n" for i in range(1, n + 1))
    kernel = subprocess.Popen([KERNEL], cwd=os.path.join(ROOT, "build", "scripts"), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # The commands from a thread, so that reading never waits for writing;
    # `quit` only once every result is back (the kernel drops scheduler work
    # still pending at quit).
    def write(data):
        try:
            kernel.stdin.write(data)
            kernel.stdin.flush()
        except BrokenPipeError:
            pass  # the kernel is gone: its status and stderr say why below

    writer = threading.Thread(target=write, args=(commands.encode(),))
    writer.start()
    fd, seen, buf = kernel.stdout.fileno(), 0, b""
    first = last = None
    untimed = 0
    while last is None:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        now = time.perf_counter()
        lines = (buf + chunk).split(b"\n")
        buf = lines.pop()
        results = sum(1 for line in lines if line.startswith(b"out b 0 "))
        if results and first is None:
            first, untimed = now, results
        seen += results
        if seen == n + 1:
            last = now
    writer.join()
    write(b"quit\n")
    buf += kernel.stdout.read()
    err = kernel.stderr.read().decode(errors="replace")
    status = kernel.wait()
    if status != 0 or last is None:
        sys.exit(f"bench: {text} in fake-max gave {seen} of {n + 1} results, exit {status}:\n{buf[-2000:]!r}\n{err}")
    return (last - first) * 1000 * n / (n + 1 - untimed)


THREADS = {"main": "send", "sched": "sched"}


def main():
    n = int(os.environ.get("N", "200000"))
    rounds = int(os.environ.get("RUNS", "5"))
    pyrus = os.path.join(MAX_LINUX, "pyrus.so")
    print(f"synchronous calls through fake-max, N = {n}, {rounds} rounds (ms per N calls; ratios within "
          f"each round; main: `send` lines, sched: `sched` lines):", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as work:
        c = build_c(work)
        for i in range(rounds):
            r = {"python": python_ms(n)}
            for t, deliver in THREADS.items():
                r[f"pyrus {t}"] = kernel_ms(work, pyrus, "pyrus bench.inc", n, deliver)
                r[f"C {t}"] = kernel_ms(work, c, "bench_inc", n, deliver)
            rows.append(r)
            print(f"  round {i + 1}: python {r['python']:6.1f} | "
                  + " | ".join(f"{t}: pyrus {r[f'pyrus {t}']:6.1f}, C {r[f'C {t}']:6.1f}, "
                               f"{r[f'pyrus {t}'] / r['python']:.1f}x python raw, "
                               f"{(r[f'pyrus {t}'] - r[f'C {t}']) / r['python']:.1f}x without the kernel's cost"
                               for t in THREADS), flush=True)
    rate = lambda ms: n / ms / 1000  # M calls/s
    best = {k: min(r[k] for r in rows) for k in rows[0]}
    print(f"  plain Python loop: best {best['python']:7.1f} ms  {rate(best['python']):6.2f} M calls/s")
    for t in THREADS:
        raw = [r[f"pyrus {t}"] / r["python"] for r in rows]
        net = [(r[f"pyrus {t}"] - r[f"C {t}"]) / r["python"] for r in rows]
        per = [(r[f"pyrus {t}"] - r[f"C {t}"]) / n * 1e6 for r in rows]
        kernel = [r[f"C {t}"] / n * 1e6 for r in rows]
        print(f"  {t}: [pyrus bench.inc] best {best[f'pyrus {t}']:7.1f} ms ({rate(best[f'pyrus {t}']):.2f} M calls/s), "
              f"C external best {best[f'C {t}']:7.1f} ms ({rate(best[f'C {t}']):.2f} M/s)")
        print(f"    pyrus / plain Python, raw : median {statistics.median(raw):.2f}x the time "
              f"(rounds {min(raw):.2f}-{max(raw):.2f})")
        print(f"    (pyrus - C) / plain Python: median {statistics.median(net):.2f}x the time "
              f"(rounds {min(net):.2f}-{max(net):.2f})")
        print(f"    the kernel's own cost     : median {statistics.median(kernel):.0f} ns a message; "
              f"pyrus beyond it: median {statistics.median(per):.0f} ns a call")


if __name__ == "__main__":
    main()
