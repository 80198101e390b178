"""The script side of pyrus: what a Python script running inside a [pyrus]
object uses to talk to the patch.

    import pyrus

    def f(x):
        pyrus.post("got", x)          # a line in the Pd console
        pyrus.out(x, x * 2)           # the list "x 2x" out of the left outlet
        pyrus.send("level", x)        # to every [receive level]
        return pyrus.bang             # a bang out of the left outlet

Values convert as the table in the help patch says: numbers become floats,
strings symbols, flat lists and tuples (and bytes, and 1-D numpy arrays) lists;
None sends nothing; pyrus.Message(selector, *args) sends any message.

These functions act on the object whose call is running on this thread.
They exist only inside a host: importing this package elsewhere fails.
"""

try:
    from _pyrus import Bang, Message, bang, error, out, post, send, time
except ImportError as e:  # pragma: no cover - only outside a host
    raise ImportError(
        "the pyrus module works only inside a [pyrus] object in Pd or Max"
    ) from e

__all__ = ["Bang", "Message", "bang", "error", "out", "post", "send", "time"]
