"""Example pyrus.Signal classes for [pyrus~] (help/pyrus~-help.pd)."""

import numpy as np

import pyrus


class Gain(pyrus.Signal):
    """[pyrus~ tilde.Gain G]: the input times G; `gain G` changes it."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def in_0_gain(self, gain):
        self.gain = gain

    def process(self, ins, outs):
        np.multiply(ins, self.gain, out=outs)


class Lowpass(pyrus.Signal):
    """[pyrus~ tilde.Lowpass HZ]: a lowpass filter in numpy, a 63-tap
    windowed-sinc FIR cutting above HZ; `cutoff HZ` changes it. The input's
    last samples are kept from one block to the next (the filter's state)."""

    taps = 63

    def __init__(self, cutoff=1000.0):
        self.cutoff = cutoff
        self.kernel = None
        self.history = np.zeros(self.taps - 1)

    def in_0_cutoff(self, hz):
        self.cutoff = hz
        self.kernel = None  # designed again before the next block

    def design(self):
        # sample_rate is the host's, set before the first block.
        fc = min(max(self.cutoff / self.sample_rate, 0.0), 0.5)
        n = np.arange(self.taps) - (self.taps - 1) / 2
        kernel = 2 * fc * np.sinc(2 * fc * n) * np.hamming(self.taps)
        self.kernel = kernel / kernel.sum() if kernel.sum() else kernel

    def process(self, ins, outs):
        if self.kernel is None:
            self.design()
        x = np.concatenate((self.history, ins[0]))
        outs[0] = np.convolve(x, self.kernel, mode="valid")
        self.history = x[-(self.taps - 1):]
