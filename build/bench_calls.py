"""The synchronous-call benchmark (`build/bench calls`).

Each round times, one after the other in the same seconds:
  python    a plain Python loop calling bench.inc N times (bench.LOOP, the
            best of three in one python3 process), the interpreter's own limit
  in Pd     the same loop in Pd's embedded interpreter (`-batch`), which
            runs libpython's shared library where python3 runs its own static
            copy: what of the gap is not pyrus's
  pyrus     [until] -> [f] -> [pyrus bench.inc] -> back into [f], N times,
            timed by [realtime] inside Pd (build/calls-bench.pd)
  [+ 1]     the same loop with [+ 1], the harness ceiling
each Pd loop in `-batch` Pd and in realtime Pd (`-nosound` without `-batch`).
Ratios are taken within a round, so a neighbour's burst of work that slows
one round shows as that round's outlier instead of skewing a ratio of bests
taken minutes apart. Prints every round, then the median and range of each
ratio over the rounds.

AGAINST=PACKAGE_DIR adds, in each round, the pyrus loop on another build of
the Pd package (a copy of target/package/pd/pyrus), to compare two builds in
the same seconds.
"""

import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.environ["PYRUS_PD_PACKAGE"]
PYTHON = os.environ["PYO3_PYTHON"]  # the Python Pd loads (build/lib.sh pins it)
TARGET = 1.3  # at most this many times the plain Python loop's time per call

PYTHON_LOOP = "import sys, bench; print(min(bench.loop_ms(int(sys.argv[1])) for _ in range(3)))"

# The same loop in Pd's interpreter, three times; then Pd quits.
IN_PD = """#N canvas 0 0 400 400 12;
#X obj 10 10 loadbang;
#X obj 10 30 delay 1;
#X obj 10 50 t b b;
#X msg 10 70 COUNT \\, COUNT \\, COUNT;
#X obj 10 90 pyrus bench.loop_ms;
#X obj 10 110 print loop_ms;
#X msg 10 130 \\; pd quit;
#X connect 0 0 1 0;
#X connect 1 0 2 0;
#X connect 2 1 3 0;
#X connect 3 0 4 0;
#X connect 4 0 5 0;
#X connect 2 0 6 0;
"""

MODES = {"batch": ["-batch"], "realtime": []}


def fifo_works():
    """Whether this user may run a program under SCHED_FIFO, as Pd does where
    it may (as root, or with an rtprio limit): then the Python loop runs so
    too, else a neighbour's work would slow it and not Pd."""
    try:
        return subprocess.run(["chrt", "-f", "6", "true"], capture_output=True).returncode == 0
    except OSError:
        return False


FIFO = fifo_works()


def python_ms(n):
    cmd = [PYTHON, "-c", PYTHON_LOOP, str(n)]
    out = subprocess.run(["chrt", "-f", "6", *cmd] if FIFO else cmd, cwd=os.path.join(ROOT, "build", "scripts"),
                         capture_output=True, text=True, check=True, timeout=300)
    return float(out.stdout)


def in_pd_ms(work, n):
    path = os.path.join(work, "in_pd.pd")
    with open(path, "w") as f:
        f.write(IN_PD.replace("COUNT", str(n)))
    cmd = ["pd", "-nogui", "-nosound", "-batch", "-stderr", "-noprefs", "-path", PACKAGE, "-open", path]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300).stderr
    ms = [float(l.split(": ")[1]) for l in out.splitlines() if l.startswith("loop_ms: ")]
    if len(ms) != 3:
        sys.exit(f"bench: the Python loop did not run in Pd:\n{out}")
    return min(ms)


def pd_ms(work, obj, n, mode, package=PACKAGE):
    """One run of the loop around `obj` in Pd (`mode` of MODES) with `package`
    on its path: elapsed ms."""
    with open(os.path.join(ROOT, "build", "calls-bench.pd")) as f:
        patch = f.read().replace("OBJECT", obj).replace("msg 60 120 N", f"msg 60 120 {n}")
    path = os.path.join(work, "loop.pd")
    with open(path, "w") as f:
        f.write(patch)
    cmd = ["pd", "-nogui", "-nosound", *MODES[mode], "-stderr", "-noprefs", "-path", package, "-open", path]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300).stderr
    ms = [float(l.split(": ")[1]) for l in out.splitlines() if l.startswith("elapsed_ms: ")]
    if not ms or "final: " not in out:
        sys.exit(f"bench: the {obj} loop did not run in {mode} Pd:\n{out}")
    return ms[0]


def main():
    n = int(os.environ.get("N", "1000000"))
    rounds = int(os.environ.get("RUNS", "5"))
    against = os.environ.get("AGAINST")
    rate = lambda ms: n / ms / 1000  # M calls/s
    print(f"synchronous calls, N = {n}, {rounds} rounds (ms per N calls; ratios within each round; the Python "
          f"loop {'under SCHED_FIFO, as Pd' if FIFO else 'at normal priority (no SCHED_FIFO for this user)'}):",
          flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for i in range(rounds):
            r = {"python": python_ms(n), "in Pd": in_pd_ms(work, n)}
            for mode in MODES:
                r[f"pyrus {mode}"] = pd_ms(work, "pyrus bench.inc", n, mode)
                r[f"+1 {mode}"] = pd_ms(work, "+ 1", n, mode)
                if against:
                    r[f"against {mode}"] = pd_ms(work, "pyrus bench.inc", n, mode, against)
            rows.append(r)
            print(f"  round {i + 1}: python {r['python']:6.1f}, in Pd {r['in Pd']:6.1f} | "
                  + " | ".join(f"{m}: pyrus {r[f'pyrus {m}']:6.1f}, [+ 1] {r[f'+1 {m}']:5.1f}, "
                               f"{r[f'pyrus {m}'] / r['python']:.2f}x python, "
                               f"{r[f'pyrus {m}'] / r[f'+1 {m}']:.1f}x [+ 1]"
                               + (f", against {r[f'against {m}'] / r['python']:.2f}x python" if against else "")
                               for m in MODES), flush=True)
    best = {k: min(r[k] for r in rows) for k in rows[0]}
    print(f"  plain Python loop       : best {best['python']:7.1f} ms  {rate(best['python']):6.2f} M calls/s")
    in_pd = [r["in Pd"] / r["python"] for r in rows]
    print(f"  the same loop in Pd     : best {best['in Pd']:7.1f} ms  {rate(best['in Pd']):6.2f} M calls/s, "
          f"median {statistics.median(in_pd):.2f}x python3's time (rounds {min(in_pd):.2f}-{max(in_pd):.2f})")
    for mode in MODES:
        ratio = [r[f"pyrus {mode}"] / r["python"] for r in rows]
        plus = [r[f"pyrus {mode}"] / r[f"+1 {mode}"] for r in rows]
        med = statistics.median(ratio)
        print(f"  [pyrus bench.inc] {mode:8s}: best {best[f'pyrus {mode}']:7.1f} ms  "
              f"{rate(best[f'pyrus {mode}']):6.2f} M calls/s; [+ 1] best {best[f'+1 {mode}']:.1f} ms")
        print(f"    pyrus / plain Python  : median {med:.2f}x the time (rounds {min(ratio):.2f}-{max(ratio):.2f}); "
              f"target <= {TARGET}x: {'met' if med <= TARGET else 'NOT met'}")
        print(f"    pyrus / [+ 1]         : median {statistics.median(plus):.1f}x the time "
              f"(rounds {min(plus):.1f}-{max(plus):.1f})")
        if against:
            other = [r[f"against {mode}"] / r["python"] for r in rows]
            vs = [r[f"pyrus {mode}"] / r[f"against {mode}"] for r in rows]
            print(f"    AGAINST / plain Python: median {statistics.median(other):.2f}x the time "
                  f"(rounds {min(other):.2f}-{max(other):.2f}); this build / AGAINST: median "
                  f"{statistics.median(vs):.3f}x the time (rounds {min(vs):.3f}-{max(vs):.3f})")


if __name__ == "__main__":
    main()
