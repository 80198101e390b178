"""The [pyrus~] benchmarks in real, realtime Pd (`build/bench audio`).

  (a) cost    the DSP thread's time per block in one [pyrus~ tilde.Gain]'s
              perform routine against one [*~]'s: perf samples Pd's
              scheduler thread (which runs DSP) while OBJECTS (16) of each
              run for SECONDS_COST (5) s; target < 2 us a block; also the
              workers' wake-ups a second (their voluntary context switches:
              each sleeps on its own timer, the cost of a DSP thread that
              does not wake it)
  (b) count   how many [pyrus~ tilde.Gain] objects run at 48 kHz with
              64-sample blocks for SECONDS_COUNT s (default 30) with no
              underrun (after 2 s of warming up), with -block 64 and with
              -block 512 (and -latency 8 beside them); target >= 16
              with -block 64, more with the larger block; beside each
              run, the platform's share as a baseline: a plain thread
              napping half a block counts its wake-ups later than two
              blocks (the default latency), each of which would cost a
              [pyrus~] a block
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
import shutil
import subprocess
import sys
import tempfile
import time

from bench_detached import Patch, compare, interleave, lateness, show_jitter

PACKAGE = os.environ["PYRUS_PD_PACKAGE"]
SLEEPGRAIN = "0.1"

def pd_command(path, flags=()):
    return ["pd", "-nogui", "-nosound", "-stderr", "-noprefs", "-nrt", "-sleepgrain", SLEEPGRAIN,
            "-path", PACKAGE, *flags, "-open", path]


def run_pd(patch, limit, flags=()):
    """Realtime Pd on `patch`; its stderr lines."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "bench.pd")
        with open(path, "w") as f:
            f.write(patch.text())
        out = subprocess.run(pd_command(path, flags), capture_output=True, text=True, timeout=limit, cwd=d)
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


# What (a) reads in `perf report --children`: the share of the thread's
# samples under each symbol (inlined frames count, with dwarf call graphs).
PERFORM = "pyrus_pd::signal::perform_routine"
TIMES = "scalartimes_perf8"  # [*~ 0.5] on blocks of 8n samples
UNPARK = "<std::thread::thread::Thread>::unpark"


def worker_switches(pid):
    """Voluntary context switches so far of each pyrus-audio-N thread of
    process `pid` (a worker's wake-ups: it sleeps on its timer)."""
    switches = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                status = f.read().splitlines()
        except OSError:
            continue  # the thread ended
        if status[0].split()[1].startswith("pyrus-audio"):
            switches[tid] = int(next(l for l in status if l.startswith("voluntary_ctxt_switches")).split()[1])
    return switches


def perf_run(k, seconds):
    """`k` [pyrus~ tilde.Gain 0.5] and `k` [*~ 0.5] beside them on one
    [noise~] in realtime Pd; `perf record` samples Pd's scheduler thread (DSP
    runs there) for `seconds`, a second after pyrus loaded. Returns the
    thread's CPU time in the window (ns), each symbol's share of it, the
    underruns reported and the workers' median wake-ups a second."""
    p = Patch()
    lb = p.obj("loadbang")
    dsp = p.msg("; pd dsp 1")
    p.connect(lb, 0, dsp, 0)
    noise = p.obj("noise~")
    under = p.obj("print underrun")
    objects(p, noise, "pyrus~ tilde.Gain 0.5", k, under)
    objects(p, noise, "*~ 0.5", k)
    with tempfile.TemporaryDirectory() as d:
        path, data = os.path.join(d, "bench.pd"), os.path.join(d, "perf.data")
        with open(path, "w") as f:
            f.write(p.text())
        pd = subprocess.Popen(pd_command(path), stderr=subprocess.PIPE, text=True, cwd=d)
        lines = []
        for line in pd.stderr:
            lines.append(line.rstrip("\n"))
            if line.startswith("pyrus ") and " for Pd" in line:
                break
        time.sleep(1)  # DSP under way, workers started
        before, start = worker_switches(pd.pid), time.monotonic()
        subprocess.run(["perf", "record", "-q", "-F", "2000", "--call-graph", "dwarf,16384", "-t", str(pd.pid),
                        "-o", data, "--", "sleep", str(seconds)], check=True, capture_output=True)
        after, elapsed = worker_switches(pd.pid), time.monotonic() - start
        rates = sorted((after[t] - before[t]) / elapsed for t in before if t in after)
        wakes = rates[len(rates) // 2] if rates else float("nan")
        pd.terminate()
        lines += pd.stderr.read().splitlines()
        pd.wait()
        report = subprocess.run(["perf", "report", "-i", data, "--children", "--stdio", "--sort", "symbol",
                                 "-g", "none"], capture_output=True, text=True, check=True).stdout
    total = next(int(l.split(":")[1]) for l in report.splitlines() if "Event count (approx.)" in l)
    share = {}
    for line in report.splitlines():
        words = line.split()
        if len(words) >= 4 and words[0].endswith("%") and words[2] == "[.]":
            # The name, then perf's empty columns ("-").
            name = " ".join(w for w in words[3:] if w != "-").replace(" (inlined)", "")
            share.setdefault(name, float(words[0][:-1]) / 100)
    underruns = sum(values(lines, "underrun"))
    return total, share, underruns, wakes


def cost(k, seconds, runs):
    blocks = seconds * 44100 / 64
    print(f"(a) DSP cost: perf samples Pd's scheduler thread for {seconds} s of DSP at 44.1 kHz ({blocks:.0f} "
          f"blocks of 64), {k} [pyrus~ tilde.Gain 0.5] beside {k} [*~ 0.5] on one [noise~]; ns a block of one "
          "object, the better of the runs:", flush=True)
    if shutil.which("perf") is None:
        print("  skipped: no perf (Debian: apt-get install linux-perf)")
        return
    best = None
    for i in range(runs):
        total, share, underruns, wakes = perf_run(k, seconds)
        per = {name: share.get(sym, 0.0) * total / (blocks * k) for name, sym in
               (("pyrus~", PERFORM), ("*~", TIMES), ("unpark", UNPARK))}
        print(f"  run {i + 1}: [pyrus~] {per['pyrus~']:.0f} ns (of which unparking its worker {per['unpark']:.0f} "
              f"ns), [*~] {per['*~']:.0f} ns; {underruns:.0f} underruns reported; each worker woke {wakes:.0f} times a "
              "second (its timer, and the unparks)", flush=True)
        if best is None or per["pyrus~"] < best["pyrus~"]:
            best = per
    ratio = best["pyrus~"] / best["*~"] if best["*~"] > 0 else float("inf")
    verdict = "met" if best["pyrus~"] < 2000 else "NOT met"
    print(f"  [pyrus~ tilde.Gain 0.5]: {best['pyrus~']:.0f} ns a block ({ratio:.0f} x [*~ 0.5]'s {best['*~']:.0f} ns; "
          f"without the worker's unpark {best['pyrus~'] - best['unpark']:.0f} ns); target < 2000 ns: {verdict}",
          flush=True)


# Seconds of DSP before underruns count in (b): the first blocks after DSP
# starts are late by nature (the workers' first process calls).
WARM = 2


# The platform's own share, for (b): a plain thread that naps half a block
# (as an audio worker does) beside the Pd run, counting its wake-ups later
# than two blocks (the default latency). On a VM a sleeping thread is now
# and then woken milliseconds late whatever it runs; those events cost a
# [pyrus~] its block, and no design with a sleeping worker avoids them.
SLEEPER = r"""
import sys, time
nap, slack, seconds = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
late, end = 0, time.monotonic() + seconds
while True:
    t = time.monotonic()
    if t > end:
        break
    time.sleep(nap)
    late += time.monotonic() - t > slack
print(late)
"""


def count_run(n, flags, seconds):
    """Underruns reported by `n` [pyrus~ tilde.Gain 0.5 FLAGS] at 48 kHz over
    `seconds`, after WARM seconds of DSP; and the late wake-ups of a plain
    napping thread over the same seconds (see SLEEPER)."""
    p = Patch()
    lb = p.obj("loadbang")
    dsp = p.msg("; pd dsp 1")
    p.connect(lb, 0, dsp, 0)
    stop = p.obj(f"delay {(WARM + seconds) * 1000}")
    quit_ = p.msg("; pd quit")
    p.connect(lb, 0, stop, 0)
    p.connect(stop, 0, quit_, 0)
    osc = p.obj("osc~ 440")
    # The reports pass once the warm-up is over.
    gate = p.obj("spigot 0")
    under = p.obj("print underrun")
    p.connect(gate, 0, under, 0)
    warm = p.obj(f"delay {WARM * 1000}")
    one = p.msg("1")
    p.connect(lb, 0, warm, 0)
    p.connect(warm, 0, one, 0)
    p.connect(one, 0, gate, 1)
    objects(p, osc, f"pyrus~ tilde.Gain 0.5 {flags}", n, gate)
    block = 64 / 48000
    sleeper = subprocess.Popen([sys.executable, "-c", SLEEPER, str(block / 2), str(2 * block), str(WARM + seconds)],
                               stdout=subprocess.PIPE, text=True)
    lines = run_pd(p, seconds + 120, ["-r", "48000"])
    platform = int(sleeper.communicate(timeout=120)[0])
    if not any(l.startswith("pyrus ") for l in lines):
        sys.exit("count: pyrus did not load:\n" + "\n".join(lines[-20:]))
    return sum(values(lines, "underrun")), platform


def count(flags, seconds):
    """The most [pyrus~ ... FLAGS] (of 1, 2, 4, ... 64) with no underrun in a run
    of `seconds`, each run printed with its share of late blocks; stops once
    more than 5% are late."""
    blocks = seconds * 48000 / 64
    good = 0
    n = 1
    while n <= 64:
        late, platform = count_run(n, flags, seconds)
        share = late / (n * blocks)
        print(f"  {flags}: {n} objects: {late:.0f} underruns ({share:.2%} of their blocks, {late / n:.0f} an "
              f"object); beside them a plain thread napping half a block woke over two blocks late "
              f"{platform} times", flush=True)
        if late == 0:
            good = n
        if share > 0.05:
            break
        n *= 2
    return good


def main():
    what = sys.argv[1:] or ["cost", "count", "jitter"]
    runs = int(os.environ.get("RUNS_EACH", "2"))
    if "cost" in what:
        cost(int(os.environ.get("OBJECTS", "16")), int(os.environ.get("SECONDS_COST", "5")), runs)
    if "count" in what:
        seconds = int(os.environ.get("SECONDS_COUNT", "30"))
        print(f"(b) [pyrus~ tilde.Gain 0.5] objects fed by [osc~] at 48 kHz, Pd's blocks of 64, with no underrun "
              f"reported in {seconds} s after {WARM} s of DSP (and -latency 8, beyond the target, for comparison):", flush=True)
        small = count("-block 64", seconds)
        large = count("-block 512", seconds)
        deep = count("-block 64 -latency 8", seconds)
        print(f"  -block 64: {small} objects (target >= 16: {'met' if small >= 16 else 'NOT met'}); "
              f"-block 512: {large} objects (target more than with -block 64: "
              f"{'met' if large > small else 'NOT met'}); -block 64 -latency 8: {deep} objects", flush=True)
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
