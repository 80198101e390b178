"""Example functions for help/pyrus-help.pd and help/pyrus.maxhelp."""

import pyrus


def add(a, b=0):
    """The sum of two numbers: a list of two, or one after a bound argument."""
    return a + b


def greet(name="world"):
    """A symbol in, a symbol out."""
    return "hello-" + str(name)


def spread(n):
    """A number in, a list out: 0 .. n-1."""
    return list(range(int(n)))


def chord(root):
    """Several outputs from one call, and a message with its own selector."""
    for step in (0, 4, 7):
        pyrus.out(root + step)
    pyrus.send("pyrus-help-chord", "done", root)
    return pyrus.Message("set", root, root + 4, root + 7)


def fail(x):
    """Raises, to show how errors reach the console and the status outlet."""
    return 1 / (x - x)


def mean(*values):
    """A list in, its mean out: a Pd list arrives as positional arguments."""
    return sum(values) / len(values) if values else None


def slow(x):
    """Half a second of waiting: try it with detach 1 and watch the patch keep going."""
    import time

    time.sleep(0.5)
    return x * 2


def forever():
    """Never returns on its own: send stop to a detached object to end it.
    It says running first (out of the left outlet)."""
    pyrus.out("running")
    n = 0
    while True:
        n += 1


class UsbNotes(pyrus.Object):
    """[pyrus examples.UsbNotes]: a USB device from Python (help/pyrus.usb-help.pd,
    help/pyrus.usb.maxhelp).

    bang opens the built-in virtual device (pyrus.usb.open, connect or listen
    take a real one); its notes leave the left outlet as PITCH VELOCITY, every
    other event the middle one. note CH PITCH VEL goes back to the device;
    close closes it.
    """

    outlets = 2
    outlet_help = ("PITCH VELOCITY of each note", "every other event of the device")
    dev = None

    def in_0_bang(self):
        """Opens the demo device."""
        self.dev = pyrus.usb.demo(self.on_event)

    def in_0_note(self, ch, pitch, vel):
        """Sends the note to the device."""
        self.dev.send("note", ch, pitch, vel)

    def in_0_close(self):
        """Closes the device."""
        self.dev.close()

    def on_event(self, m):
        if m.selector == "note":
            self.out(0, m.args[1], m.args[2])
        else:
            self.out(1, m)


# Arrays (help/pyrus-arrays.pd, the arrays tab of help/pyrus.maxhelp): a
# curve made in numpy, drawn into a Pd array or a Max buffer~.


def draw(name, harmonics=4):
    """Fills the array (Pd) or buffer~ (Max, every channel) `name` in place,
    no copy, with the first `harmonics` odd harmonics of a square wave,
    redraws it, and returns its peak."""
    import numpy as np

    a = pyrus.array(name)
    x = np.linspace(0, 2 * np.pi, len(a), endpoint=False)
    wave = sum(np.sin(k * x) / k for k in range(1, 2 * max(1, int(harmonics)), 2))
    a[:] = wave[:, None] if a.ndim == 2 else wave  # a buffer~ is frames x channels
    a *= 0.9 / np.max(np.abs(a))  # in place, on the host's memory
    a.redraw()
    return float(np.max(a))


def draw_far(name, cycles=3):
    """The same from a detached call (-detach 1): no view there, so the curve
    is made here and written with one request, which the host's thread
    carries out; it returns the frames written."""
    import numpy as np

    a = pyrus.array(name)
    shape = a.read().shape
    x = np.linspace(0, 2 * np.pi * float(cycles), shape[0], endpoint=False)
    curve = 0.9 * np.sin(x) * np.hanning(shape[0])
    n = a.write(np.repeat(curve, shape[1]) if len(shape) == 2 else curve)
    a.redraw()
    return n


class Pulse(pyrus.Object):
    """[pyrus examples.Pulse]: pyrus.every, pyrus.after and pyrus.receive.

    A float N ticks every N ms of Pd's logical time (0 stops), counting;
    once N says "once TIME" N ms later; any message sent to
    pyrus-help-pulse comes out as "heard ...". The clocks and the receiver
    end when the object is deleted or reloaded."""

    def __init__(self):
        self.count = 0
        self.clock = None
        self.bus = pyrus.receive("pyrus-help-pulse", self.heard)

    def in_0_float(self, ms):
        """every N ms a count (0 stops)"""
        if self.clock:
            self.clock.cancel()
        self.clock = pyrus.every(ms, self.tick) if ms > 0 else None

    def in_0_once(self, ms):
        """once N: "once TIME" N ms later"""
        pyrus.after(ms, lambda: pyrus.Message("once", pyrus.time()))

    def tick(self):
        self.count += 1
        return self.count

    def heard(self, *atoms):
        return pyrus.Message("heard", *atoms)
