"""The [pyrus.usb] benchmark in real, realtime Pd (`build/bench usb`).

A virtual USB MIDI device (externals/pyrus-usb/examples/bench_device.rs)
serves itself over usbredir on loopback; Pd's [pyrus.usb] connects to it
(`connect 127.0.0.1 PORT`). Three measurements:
  throughput  notes/s into a vanilla counter with none dropped or lost, at
              paced rates (USB_RATES, default doubling from 100,000/s;
              USB_SECONDS each, default 2), up to the first miss
  latency     us from the device's socket write to [pyrus.usb]'s outlet
              (USB_SAMPLES notes, about 1000/s at random phases of Pd's tick),
              alone and while a second device streams 10,000 notes/s into
              another [pyrus.usb]
  jitter      lateness of a vanilla [metro 1] while 10,000 notes/s stream in,
              against idle (SECONDS_EACH s each, default 20), measured as
              build/bench_detached.py's jitter part does
Latency and jitter interleave idle and loaded runs (RUNS_EACH of each,
default 2) and compare the worse idle run with the better loaded one, as
build/bench_detached.py does.

Patch building, running Pd, the jitter probe and the statistics are
bench_detached.py's.
"""

import os
import subprocess
import sys
import tempfile

from bench_detached import (Patch, interleave, lateness, print_jitter, print_latency, run_pd, show_jitter,
                            show_latency, summary, values)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEVICE = os.path.join(ROOT, "target", "release", "examples", "bench_device")
TICK_US = 64 / 44.1 * 1000


class Device:
    """The bench device, listening on loopback, playing `args`' pattern to
    the first connection (see bench_device.rs for the patterns)."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([DEVICE, *map(str, args)], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("port "):
            self.proc.kill()
            sys.exit(f"bench: the bench device did not start ({line!r})")
        self.port = int(line.split()[1])

    def connect_msg(self, p):
        return p.msg(f"connect 127.0.0.1 {self.port}")

    def finish(self, timeout=30):
        """Its report, once it has ended (it waits for Pd to hang up)."""
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        return out.splitlines()


def usb_object(p, lb, dev):
    """[pyrus.usb], connecting at load to `dev`. Its status outlet goes to a
    [route dropped disconnected]: `dropped N` is summed in Pd (printing each
    one would cost Pd a write per gap in an overflowing stream),
    `disconnected` leaves the route's outlet 1, the rest is printed as
    `status: ...`. Returns [pyrus.usb], the route, and an [f] holding the sum
    of `dropped` (bang it to read it)."""
    usb = p.obj("pyrus.usb")
    conn = dev.connect_msg(p)
    route = p.obj("route dropped disconnected")
    add = p.obj("+ 0")
    drops = p.obj("f 0")
    p.connect(lb, 0, conn, 0)
    p.connect(conn, 0, usb, 0)
    p.connect(usb, 1, route, 0)
    p.connect(route, 0, add, 0)
    p.connect(add, 0, add, 1)
    p.connect(add, 0, drops, 1)
    p.connect(route, 2, p.obj("print status"), 0)
    return usb, route, drops


def counter(p, source):
    """A vanilla [t b] -> [f]/[+ 1] counter of `source`'s messages; returns [+ 1]."""
    each = p.obj("t b")
    f = p.obj("f 0")
    plus = p.obj("+ 1")
    p.connect(source, 0, each, 0)
    p.connect(each, 0, f, 0)
    p.connect(f, 0, plus, 0)
    p.connect(plus, 0, f, 1)
    return plus


def print_exact(p, source, label):
    """Prints `source`'s float as `label: THOUSANDS UNITS`: [print] shows
    six significant digits only (1234567 as 1.23457e+06). See `exact`."""
    t = p.obj("t f f")
    hi = p.obj("div 1000")
    lo = p.obj("mod 1000")
    pack = p.obj("pack f f")
    p.connect(source, 0, t, 0)
    p.connect(t, 1, lo, 0)
    p.connect(lo, 0, pack, 1)
    p.connect(t, 0, hi, 0)
    p.connect(hi, 0, pack, 0)
    p.connect(pack, 0, p.obj(f"print {label}"), 0)


def exact(lines, label):
    """The numbers `print_exact` printed under `label`."""
    prefix = label + ": "
    return [int(float(a)) * 1000 + int(float(b)) for a, b in (l[len(prefix):].split() for l in lines
                                                              if l.startswith(prefix))]


def quit_after(p, lb, ms):
    """A safety net: print `timeout` and quit after `ms`."""
    delay = p.obj(f"delay {ms}")
    t = p.obj("t b b")
    word = p.msg("timeout")
    p.connect(lb, 0, delay, 0)
    p.connect(delay, 0, t, 0)
    p.connect(t, 1, word, 0)
    p.connect(word, 0, p.obj("print timeout"), 0)
    p.connect(t, 0, p.msg("; pd quit"), 0)


# A Pd float counts exactly up to 2**24: longer runs are shortened to this.
MAX_EVENTS = 16_000_000


def rate_run(rate, seconds):
    """One paced run: the device plays `rate` notes/s for `seconds` (fewer
    when that is over MAX_EVENTS notes); Pd counts them, and times the first
    note to the device's unplugging."""
    seconds = min(seconds, MAX_EVENTS / rate)
    dev = Device("rate", rate, seconds)
    p = Patch()
    lb = p.obj("loadbang")
    usb, route, drops = usb_object(p, lb, dev)
    plus = counter(p, usb)
    first = p.obj("sel 1")
    clock = p.obj("realtime")
    total = p.obj("f 0")
    p.connect(plus, 0, first, 0)
    p.connect(first, 0, clock, 0)
    p.connect(plus, 0, total, 1)
    # When the device unplugs, after its last note: elapsed, count, dropped, quit.
    done = p.obj("t b b b b")
    p.connect(route, 1, done, 0)
    p.connect(done, 3, clock, 1)
    p.connect(clock, 0, p.obj("print elapsed_ms"), 0)
    p.connect(done, 2, total, 0)
    print_exact(p, total, "count")
    p.connect(done, 1, drops, 0)
    print_exact(p, drops, "dropped")
    p.connect(done, 0, p.msg("; pd quit"), 0)
    quit_after(p, lb, (seconds + 20) * 1000)
    lines = run_pd(p, seconds + 60)
    report = dev.finish()
    sent = [l.split() for l in report if l.startswith("sent ")]
    count, elapsed, dropped = exact(lines, "count"), values(lines, "elapsed_ms"), exact(lines, "dropped")
    if not sent or not count or not elapsed or not dropped:
        sys.exit(f"bench: the {rate}/s run did not finish:\n" + "\n".join(report + lines[-20:]))
    r = {"rate": rate, "sent": int(sent[0][1]), "device_s": float(sent[0][3]), "count": count[0],
         "pd_s": elapsed[0] / 1000, "dropped": dropped[0]}
    r["device_rate"] = r["sent"] / r["device_s"]
    r["pd_rate"] = r["count"] / r["pd_s"] if r["pd_s"] > 0 else 0
    # Sustained: all asked for were sent at (about) the asked rate, none was
    # dropped or lost, and Pd took them in at that rate too (no backlog).
    misses = []
    if r["dropped"]:
        misses.append("dropped")
    elif r["count"] != r["sent"]:
        misses.append("lost")
    if r["sent"] != int(rate * seconds) or r["device_rate"] < 0.97 * rate:
        misses.append("device fell behind (the reader's backpressure, or the device's own CPU)")
    if r["pd_rate"] < 0.95 * rate:
        misses.append("Pd fell behind (backlog at the end)")
    r["miss"] = ", ".join(misses)
    return r


def throughput(rates, seconds):
    """Runs `rates` in order up to the first miss; returns the highest rate
    sustained and whether a higher one was tried and missed."""
    best, missed = 0, False
    for rate in rates:
        r = rate_run(rate, seconds)
        print(f"  {rate:>10,}/s asked: device sent {r['sent']:>10,} at {r['device_rate']:>11,.0f}/s, "
              f"Pd counted {r['count']:>9,} at {r['pd_rate']:>11,.0f}/s, dropped {r['dropped']:>7,}: "
              f"{'MISSED: ' + r['miss'] if r['miss'] else 'ok'}", flush=True)
        if r["miss"]:
            missed = True
            break
        best = rate
    return best, missed


def latency(samples, loaded=False):
    """Device socket write -> outlet, per note, over `samples` notes at ~1000/s;
    `loaded`: while a second device streams 10,000 notes/s into another
    [pyrus.usb] (see `stream_load`)."""
    stream = Device("rate", 10000, samples / 1000 + 30) if loaded else None
    dev = Device("latency", samples, 1000)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "arrivals")
        p = Patch()
        lb = p.obj("loadbang")
        usb, route, _ = usb_object(p, lb, dev)
        p.connect(usb, 0, p.obj("pyrus bench.usb_arrived"), 0)
        done = p.obj("t b b")
        p.connect(route, 1, done, 0)
        dump = p.obj(f"pyrus bench.usb_arrivals {path}")
        p.connect(done, 1, dump, 0)
        p.connect(dump, 0, p.obj("print arrivals"), 0)
        p.connect(done, 0, p.msg("; pd quit"), 0)
        quit_after(p, lb, samples + 20000)
        if stream:
            # Counted and reported like the jitter run's stream, should the run last that long.
            stream_load(stream, samples / 1000 + 20)(p, lb)
        lines = run_pd(p, samples / 1000 + 60)
        report = dev.finish()
        streamed = [l.split()[1] for l in stream.finish() if l.startswith("sent ")] if stream else []
        writes = {int(s): int(t) for _, s, t in (l.split() for l in report if l.startswith("write "))}
        if not os.path.exists(path):
            sys.exit("bench: the latency run did not finish:\n" + "\n".join(report[:3] + lines[-20:]))
        with open(path) as f:
            arrivals = {int(s): int(t) for s, t in (l.split() for l in f)}
    us = [(arrivals[s] - t) / 1000 for s, t in writes.items() if s in arrivals]
    if not us:
        sys.exit("bench: no note arrived:\n" + "\n".join(lines[-20:]))
    r = summary(us)
    r["lost"] = len(writes) - len(us)
    if stream:
        r["streamed"] = int(streamed[0]) if streamed else 0
    return r


def stream_load(dev, seconds):
    """The jitter run's load: [pyrus.usb] -> counter, the count printed just
    before the probe quits Pd."""

    def add(p, lb):
        usb, _, drops = usb_object(p, lb, dev)
        plus = counter(p, usb)
        total = p.obj("f 0")
        p.connect(plus, 0, total, 1)
        at_end = p.obj(f"delay {seconds * 1000 - 5}")
        both = p.obj("t b b")
        p.connect(lb, 0, at_end, 0)
        p.connect(at_end, 0, both, 0)
        p.connect(both, 1, total, 0)
        print_exact(p, total, "usbcount")
        p.connect(both, 0, drops, 0)
        print_exact(p, drops, "usbdropped")

    return add


def main():
    tick = TICK_US
    # Doubling from 100,000/s until a miss, 25,600,000/s at most.
    rates = [int(x) for x in os.environ.get("USB_RATES", " ".join(str(100_000 << i) for i in range(9))).split()]
    seconds = float(os.environ.get("USB_SECONDS", "2"))
    print(f"[pyrus.usb] throughput, virtual device over usbredir on loopback -> vanilla counter, "
          f"{seconds:g} s per rate:", flush=True)
    best, missed = throughput(rates, seconds)
    print(f"  highest sustained rate with none dropped or lost: {best:,} notes/s"
          f"{'' if missed else ' (the highest tried)'} "
          f"(target 200,000: {'met' if best >= 200_000 else 'NOT met'})", flush=True)

    runs = int(os.environ.get("RUNS_EACH", "2"))
    samples = int(os.environ.get("USB_SAMPLES", "5000"))
    print(f"[pyrus.usb] latency, device socket write -> outlet, {samples} notes a run, alone and while another "
          f"device streams 10,000 notes/s, runs interleaved:", flush=True)

    def show(r):
        streamed = f", the other device sent {r['streamed']:,}" if "streamed" in r else ""
        return show_latency(r) + f", {r['lost']} lost{streamed}"

    results = interleave({"idle": lambda: latency(samples), "usb 10k/s": lambda: latency(samples, True)}, runs, show)
    print_latency(results, "usb 10k/s", tick)
    lost = sum(r["lost"] for runs_ in results.values() for r in runs_)
    print(f"  notes lost in all latency runs: {lost}{'' if lost == 0 else ' (target 0: NOT met)'}", flush=True)

    each = int(os.environ.get("SECONDS_EACH", "20"))
    counted = []

    def streaming():
        dev = Device("rate", 10000, each + 10)
        r, lines = lateness(each, stream_load(dev, each))
        dev.finish()
        n, d = exact(lines, "usbcount"), exact(lines, "usbdropped")
        counted.append(f"{n[0] if n else 0:,} counted, {d[0] if d else '?'} dropped")
        return r

    print(f"[pyrus.usb] scheduler jitter, [metro 1] lateness over {each} s a run, realtime Pd -sleepgrain 0.2 "
          f"(ms above the run's earliest tick), idle and while 10,000 notes/s stream in, runs interleaved:",
          flush=True)
    results = interleave({"idle": lambda: lateness(each)[0], "usb 10k/s": streaming}, runs, show_jitter)
    print_jitter(results, "usb 10k/s")
    print(f"  (notes during the usb runs: {'; '.join(counted)})")


if __name__ == "__main__":
    main()
