"""The [pyrus~] benchmarks in real, realtime Pd (`build/bench audio`).

  (a) cost    CPU time of Pd's scheduler thread (which runs DSP) per block
              for one [pyrus~ tilde.Gain] against one [*~], from K of each
              (and an empty patch, the base) running for SECONDS_COST s;
              target < 2 us a block
  (b) count   how many [pyrus~ tilde.Gain] objects run at 48 kHz with
              64-sample blocks for SECONDS_COUNT s (default 30) with no
              underrun, with -block 64 and with -block 512; target >= 16
              with -block 64, more with the larger block
  (c) jitter  lateness of a vanilla [metro 1] (p99.9 and max) beside 8
              busy [pyrus~ tilde.Lowpass] objects against idle (DSP on,
              no [pyrus~]); target within 0.5 ms of idle

Pd runs with -nosound, DSP on the system clock, and -sleepgrain 0.1 for (a)
and (b): it wakes every 0.1 ms when idle and computes each DSP tick on time,
as an audio device would ask for it (the default 5 ms computes ticks in
bursts); (c) is build/bench_detached.py's jitter harness (-sleepgrain 0.2),
so that its idle figures compare with that benchmark's. Runs of a kind are interleaved with the others (RUNS_EACH, default 2), as
build/bench_detached.py does, and its comparison rules apply: the worse
idle run against the better loaded one.
"""

import os
import subprocess
import sys
import tempfile

from bench_detached import Patch, compare, interleave, lateness, show_jitter

PACKAGE = os.environ["PYRUS_PD_PACKAGE"]
SLEEPGRAIN = "0.1"

# Beside the patch: [pyrus] puts its folder on Python's path.
CPU = """
import time

_start = [0.0]

def start():
    _start[0] = time.thread_time()

def elapsed_us():
    # Pd's floats keep 24 bits: microseconds of a few seconds fit.
    return (time.thread_time() - _start[0]) * 1e6
"""


def run_pd(patch, limit, flags=()):
    """Realtime Pd on `patch`, with CPU (the module above) beside it; its stderr lines."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "bench.pd")
        with open(path, "w") as f:
            f.write(patch.text())
        with open(os.path.join(d, "cpu.py"), "w") as f:
            f.write(CPU)
        cmd = ["pd", "-nogui", "-nosound", "-stderr", "-noprefs", "-nrt", "-sleepgrain", SLEEPGRAIN,
               "-path", PACKAGE, *flags, "-open", path]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=limit, cwd=d)
        return out.stderr.splitlines()


def values(lines, label):
    prefix = label + ": "
    return [float(l[len(prefix):]) for l in lines if l.startswith(prefix)]


def objects(p, source, text, k, status=None):
    """`k` boxes `text` fed by box `source`, each status outlet (if `status`
    names a [print]) through [route underrun] to it."""
    for _ in range(k):
        o = p.obj(text)
        p.connect(source, 0, o, 0)
        if status is not None:
            route = p.obj("route underrun")
            p.connect(o, 1, route, 0)
            p.connect(route, 0, status, 0)


def cost_run(kind, k, seconds):
    """Microseconds of the scheduler thread's CPU time over `seconds` of DSP
    (after a second of warming up) with `k` objects of `kind`, and the
    underruns reported meanwhile."""
    p = Patch()
    lb = p.obj("loadbang")
    dsp = p.msg("; pd dsp 1")
    p.connect(lb, 0, dsp, 0)
    cpu_start = p.obj("pyrus cpu.start")
    cpu_end = p.obj("pyrus cpu.elapsed_us")
    pr = p.obj("print cpu_us")
    p.connect(cpu_end, 0, pr, 0)
    warm = p.obj("delay 1000")
    run = p.obj(f"delay {seconds * 1000}")
    quit_ = p.msg("; pd quit")
    p.connect(lb, 0, warm, 0)
    p.connect(warm, 0, cpu_start, 0)
    p.connect(warm, 0, run, 0)
    p.connect(run, 0, cpu_end, 0)
    p.connect(run, 0, quit_, 0)
    noise = p.obj("noise~")
    under = p.obj("print underrun")
    text = {"none": None, "*~": "*~ 0.5", "pyrus~": "pyrus~ tilde.Gain 0.5"}[kind]
    if text:
        objects(p, noise, text, k, under if kind == "pyrus~" else None)
    lines = run_pd(p, seconds + 60)
    us = values(lines, "cpu_us")
    if not us:
        sys.exit(f"cost: Pd printed no CPU time ({kind}):\n" + "\n".join(lines[-20:]))
    return {"us": us[0], "underruns": sum(values(lines, "underrun"))}


def cost(k, seconds, runs):
    blocks = seconds * 44100 / 64
    print(f"(a) DSP cost: CPU time of Pd's thread over {seconds} s of DSP at 44.1 kHz ({blocks:.0f} blocks of 64), "
          f"{k} objects of a kind fed by [noise~], against the same patch without them; runs interleaved:",
          flush=True)
    kinds = {name: (lambda name=name: cost_run(name, k, seconds)) for name in ("none", "*~", "pyrus~")}
    results = interleave(kinds, runs,
                         lambda r: f"{r['us'] / 1000:.1f} ms CPU ({r['underruns']:.0f} underruns reported)")
    # A neighbour only adds time: each kind's best run.
    best = {name: min(r["us"] for r in rs) for name, rs in results.items()}
    per = {name: (best[name] - best["none"]) * 1000 / (blocks * k) for name in ("*~", "pyrus~")}
    ratio = per["pyrus~"] / per["*~"] if per["*~"] > 0 else float("inf")
    verdict = "met" if per["pyrus~"] < 2000 else "NOT met"
    print(f"  [*~ 0.5]: {per['*~']:.0f} ns a block; [pyrus~ tilde.Gain 0.5]: {per['pyrus~']:.0f} ns a block "
          f"({ratio:.1f} x [*~]); target < 2000 ns: {verdict}", flush=True)


def count_run(n, block, seconds):
    """Underruns reported by `n` [pyrus~ tilde.Gain -block BLOCK] at 48 kHz over `seconds`."""
    p = Patch()
    lb = p.obj("loadbang")
    dsp = p.msg("; pd dsp 1")
    p.connect(lb, 0, dsp, 0)
    stop = p.obj(f"delay {seconds * 1000}")
    quit_ = p.msg("; pd quit")
    p.connect(lb, 0, stop, 0)
    p.connect(stop, 0, quit_, 0)
    osc = p.obj("osc~ 440")
    under = p.obj("print underrun")
    objects(p, osc, f"pyrus~ tilde.Gain 0.5 -block {block}", n, under)
    lines = run_pd(p, seconds + 120, ["-r", "48000"])
    if not any(l.startswith("pyrus ") for l in lines):
        sys.exit("count: pyrus did not load:\n" + "\n".join(lines[-20:]))
    return sum(values(lines, "underrun"))


def count(block, seconds):
    """The most [pyrus~] objects (doubling from 4, then halving the gap) with
    no underrun in a run of `seconds`."""
    good, bad, n = 0, None, 4
    while bad is None or bad - good > max(1, good // 8):
        underruns = count_run(n, block, seconds)
        print(f"  -block {block}: {n} objects: {underruns:.0f} underruns", flush=True)
        if underruns == 0:
            good = n
        else:
            bad = n
        if bad is None:
            n *= 2
            if n > 1024:
                break
        else:
            n = (good + bad) // 2
            if n == good:
                break
    return good


def main():
    what = sys.argv[1:] or ["cost", "count", "jitter"]
    runs = int(os.environ.get("RUNS_EACH", "2"))
    if "cost" in what:
        cost(int(os.environ.get("OBJECTS", "16")), int(os.environ.get("SECONDS_COST", "10")), runs)
    if "count" in what:
        seconds = int(os.environ.get("SECONDS_COUNT", "30"))
        print(f"(b) [pyrus~ tilde.Gain 0.5] objects fed by [osc~] at 48 kHz, Pd's blocks of 64, with no underrun "
              f"reported in {seconds} s:", flush=True)
        small = count(64, seconds)
        large = count(512, seconds)
        print(f"  -block 64: {small} objects (target >= 16: {'met' if small >= 16 else 'NOT met'}); "
              f"-block 512: {large} objects (target more than with -block 64: "
              f"{'met' if large > small else 'NOT met'})", flush=True)
    if "jitter" in what:
        seconds = int(os.environ.get("SECONDS_EACH", "20"))

        def dsp_on(p, lb):
            m = p.msg("; pd dsp 1")
            p.connect(lb, 0, m, 0)
            return p.obj("osc~ 440")

        def busy(p, lb):
            objects(p, dsp_on(p, lb), "pyrus~ tilde.Lowpass 1000", 8)

        print(f"(c) [metro 1] lateness over {seconds} s a run, realtime Pd (ms above the run's earliest tick), "
              "idle (DSP on) and beside 8 [pyrus~ tilde.Lowpass 1000] fed by [osc~], runs interleaved:", flush=True)
        results = interleave({"idle": lambda: lateness(seconds, dsp_on)[0],
                              "8 pyrus~": lambda: lateness(seconds, busy)[0]}, runs, show_jitter)
        print(f"  8 pyrus~ vs idle: {compare(results, '8 pyrus~', 'p99.9', 0.5, 'ms')}")
        print(f"                    {compare(results, '8 pyrus~', 'max', 0.5, 'ms')}")


if __name__ == "__main__":
    main()
