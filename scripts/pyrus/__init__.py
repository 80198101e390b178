"""The script side of pyrus: what a Python script running inside a [pyrus]
object uses to talk to the patch.

    import pyrus

    def f(x):
        pyrus.post("got", x)          # a line in the Pd console
        pyrus.out(x, x * 2)           # the list "x 2x" out of the left outlet
        pyrus.send("level", x)        # to every [receive level]
        return pyrus.bang             # a bang out of the left outlet

Values convert as the table in the help patch says: numbers become floats in
Pd (a host with ints, such as Max, keeps ints ints and floats floats), strings
symbols, flat lists and tuples (and bytes, and 1-D numpy arrays) lists;
None sends nothing; pyrus.Message(selector, *args) sends any message. Several
values given to out() or send() whose first is a str are the message with that
selector: pyrus.out("reset", 3) sends "reset 3", which [route reset] matches.

pyrus.usb opens USB MIDI and HID devices, calling back with their events.

These functions act on the object whose call is running on this thread.
They exist only inside a host: importing this package elsewhere fails.
"""

try:
    import _pyrus
    from _pyrus import ArrayError, Bang, Message, Stopped, bang, error, out, post, send, time
except ImportError as e:  # pragma: no cover - only outside a host
    raise ImportError(
        "the pyrus module works only inside a [pyrus] object in Pd or Max"
    ) from e

__all__ = ["Bang", "Message", "Object", "Signal", "Stopped", "bang", "error", "out", "post", "send", "time", "usb"]

# ---- clocks and receivers (pyrus.after, pyrus.every, pyrus.receive) ----
__all__ += ["Hook", "after", "every", "receive"]
Hook = _pyrus.Hook


def after(ms, fn, *args):
    """Calls fn(*args) once, ms milliseconds of the host's logical time from
    now (a Pd clock; a Max clock), where this object's calls run: on Pd's
    thread as a call of the object with detach 0, queued on its worker with
    detach 1|2. What fn returns (unless None) leaves outlet 0, as a method's
    result. Returns a pyrus.Hook: hook.cancel() stops it (idempotent),
    hook.active says whether it may still fire. The object's clocks end when
    it is deleted or reloaded (the new code starts its own)."""
    return _pyrus._after(ms, fn, args, False)


def every(ms, fn, *args):
    """Calls fn(*args) every ms milliseconds of logical time (the first time
    ms from now), without drift: each deadline is the previous one plus ms.
    With detach 1|2 a tick whose previous run is still queued is skipped
    (counted in hook.skipped), so runs never pile up. See after()."""
    return _pyrus._after(ms, fn, args, True)


def receive(name, fn):
    """Calls fn with every message sent to name ([send name], [; name ...(,
    pyrus.send(name, ...)), as a method gets a message: fn() for a bang,
    fn(x) for a float or symbol, fn(*atoms) for a list, fn(selector, *atoms)
    for any other message; where this object's calls run, each message a
    call (detach 1|2: a job, under the -queue limit). Returns a pyrus.Hook:
    hook.cancel() unbinds. Unbound when the object is deleted or reloaded."""
    return _pyrus._receive(name, fn)


# Arrays (pyrus.array, pyrus.Array, pyrus.ArrayError; see _arrays.py): numpy
# is imported on the first use only.
__all__ += ["Array", "ArrayError", "array"]


def array(name):
    """The host's array (Pd) or buffer~ (Max) named name, as a pyrus.Array
    valid for the call running now (see pyrus._arrays)."""
    from ._arrays import array

    return array(name)


def __getattr__(name):
    if name == "Array":
        from ._arrays import Array

        return Array
    raise AttributeError(f"module 'pyrus' has no attribute {name!r}")


class Object:
    """Base class of script-defined objects: [pyrus MODULE.CLASS ARGS...].

    The class says how many inlets and outlets the object has (a status
    outlet follows them). A message arriving at inlet N calls, in this order
    of preference:

        in_N_bang(self)               in_N_float(self, f)
        in_N_symbol(self, s)          in_N_list(self, *atoms)
        in_N_SELECTOR(self, *atoms)   in_N_anything(self, selector, *atoms)

    A method's return value (unless None) leaves outlet 0; self.out(k, ...)
    sends out of outlet k from anywhere, any thread (with outlets = 0 there is
    no outlet for values: sending one is an error). On reload the instance
    keeps its attributes and gets the new methods; on_reload(self) runs after
    a reload (however it came) as a call of the object, where its calls run,
    so pyrus.post() and self.out() work there; on_close(self) runs when the
    object is deleted.

    Where the host shows what a port is for (Max's assist), inlet_help and
    outlet_help (sequences of strings, one per port, None to skip one) say
    it; an inlet without one is described by the first docstring lines of
    its in_N_ methods.

    The object's own words (eval, exec, stop, open, ...) belong to it at inlet
    0, unless the class defines in_0_WORD: then that method gets the message,
    and "pyrus WORD ..." reaches the object's own command.
    """

    inlets = 1
    outlets = 1

    def out(self, outlet, *values):
        """Sends values out of one of this object's outlets (0 is the leftmost):
        self.out(1, "reset", 3) sends the message "reset 3" out of outlet 1."""
        _pyrus._out_for(self, outlet, values)


# [pyrus~] (the engine's signal module): audio classes.
class Signal(Object):
    """Base class of audio objects: [pyrus~ MODULE.CLASS ARGS...].

    The class declares its signal ports, signal_inlets (at least 1: Pd's
    main signal inlet, which also takes messages) and signal_outlets, and
    may declare control inlets and outlets as a pyrus.Object does (inlets
    counts the main inlet; a status outlet follows the control outlets).

    process(self, ins, outs) runs on the object's own audio worker thread,
    never on the host's audio thread: ins and outs are numpy arrays, one row
    per channel (ins.shape == (signal_inlets, blocksize)), float32 in Pd's
    32-bit build, float64 in Pd64 and Max. They are made once per DSP start
    and reused for every block: fill outs in place (outs[:] = ins * 0.5,
    np.multiply(ins, g, out=outs)), never rebind them. self.sample_rate and
    self.blocksize say the current rate and the samples per call (the host's
    block, or -block N).

    Messages call the in_N_ methods as in pyrus.Object, on the same worker,
    between two blocks, in the order they came: a parameter set by a message
    is seen by the next process. When process is late (slower than the
    audio), the block is silence (-hold: the last block) and counted; when it
    raises, the block is silence and the error is reported once. reload (and
    -watch, and the global reload) swaps the class between two blocks, keeping
    the instance's attributes.
    """

    inlets = 1
    outlets = 0
    signal_inlets = 1
    signal_outlets = 1
    sample_rate = 0.0
    blocksize = 0

    def process(self, ins, outs):
        """Fills outs from ins (default: silence)."""
        outs[:] = 0


from . import usb  # noqa: E402  (after Object: usb needs only _pyrus)
