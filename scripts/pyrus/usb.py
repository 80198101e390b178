"""USB MIDI and HID devices from scripts: the devices [pyrus.usb] opens.

    import pyrus

    def on_event(m):                      # a pyrus.Message
        if m.selector == "note":
            ch, pitch, vel = m.args[:3]
            pyrus.out(pitch, vel)
        elif m.selector == "cc":
            dev.send("cc", 1, m.args[1], 127)   # LED feedback

    dev = pyrus.usb.demo(on_event)         # the built-in virtual device

The callback gets each event as pyrus.Message(selector, *args), with the
fields of the Pd messages: note CH PITCH VEL, cc CH NUM VAL, program CH N,
bend CH V (0 = centre), polytouch, pressure, sysex B..., clock start stop...,
hid PAGE USAGE VALUE, a trailing "cable", N for cables other than 0; with
raw=True also raw B... and report B.... Status events come the same way:
connected VID PID NAME..., disconnected, error ..., dropped N, closed.

It runs where the object's calls run: on Pd's scheduler thread with
detach 0, on the object's worker with detach 1 or 2 (one event after
another, in order, never beside another job of the object). Inside it,
pyrus.out() and friends act on that object.

A device lives as long as its Python object (or until close(), or until the
object that opened it is deleted): a module that rebinds `dev = ...` on
reload closes the old device. Opening never blocks the caller: it happens on
the device's own thread, and failures arrive as error events.
"""

import _pyrus
from _pyrus import _usb_devices
from _pyrus import _usb_open

Device = _pyrus.Device

__all__ = ["Device", "connect", "demo", "devices", "listen", "open"]


def _whole(value, what, low, high):
    """value as an int from low to high, or a ValueError saying what is accepted."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{what} must be an int from {low} to {high}, not {value!r}")
    return value


def open(spec, callback, *, raw=False, reconnect=False):
    """A local device: "VID:PID" (hex), (vid, pid), a name, or "BUS-ADDRESS"."""
    if isinstance(spec, tuple):
        if len(spec) != 2:
            raise ValueError(f"open takes (vid, pid), not {spec!r}")
        vid, pid = (_whole(n, name, 0, 0xFFFF) for n, name in zip(spec, ("vid", "pid")))
        spec = f"{vid:04x}:{pid:04x}"
    return _usb_open(["open", str(spec)], callback, raw, reconnect)


def connect(host, port, callback, *, raw=False, reconnect=False):
    """The device `usbredirect --as HOST:PORT` exports."""
    port = _whole(port, "the port", 1, 65535)
    return _usb_open(["connect", f"{host}:{port}"], callback, raw, reconnect)


def listen(port, callback, *, host="127.0.0.1", raw=False, reconnect=False):
    """Waits for `usbredirect --to HOST:PORT`. Loopback unless host is given:
    usbredir has no authentication, so a listening socket on another address
    lets anyone on that network plug a device into your patch."""
    port = _whole(port, "the port", 1, 65535)
    return _usb_open(["listen", f"{host}:{port}"], callback, raw, reconnect)


def demo(callback, *, raw=False):
    """The built-in virtual device: a short phrase of every kind of event."""
    return _usb_open(["demo"], callback, raw, False)


def devices():
    """Local USB devices: a list of (vid, pid, kinds, "bus-address", name),
    kinds being "midi", "hid", "midi,hid" or "-". Enumerates USB: better
    called from a detached object."""
    return _usb_devices()
