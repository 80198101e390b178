"""A class-mode example: [pyrus counter.Counter 10] in help/pyrus-help.pd (and
help/pyrus.maxhelp).

Two inlets, two outlets. Edit this file while the patch runs (with `watch 1`
on the object, or send it `reload`): the count it has reached stays, the new
code takes over.
"""

import pyrus


class Counter(pyrus.Object):
    inlets = 2
    outlets = 2
    # What the ports are for, where the host shows it (Max's assist): None
    # leaves the left inlet to the first docstring lines of its methods.
    inlet_help = (None, "int or float: the step")
    outlet_help = ("the count", "reset N after a reset")

    def __init__(self, step=1):
        self.count = 0
        self.step = step

    def in_0_bang(self):
        """Counts one step; the count leaves the left outlet."""
        self.count += self.step
        return self.count

    def in_0_reset(self, to=0):
        """`reset` or `reset N`."""
        self.count = to
        self.out(1, "reset", to)

    def in_1_float(self, step):
        """The right inlet sets the step."""
        self.step = step

    # Max keeps ints and floats apart: a number box sends int, a flonum float.
    in_1_int = in_1_float

    def on_reload(self):
        pyrus.post("counter reloaded at", self.count)
