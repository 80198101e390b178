"""The function the call benchmark drives: [pyrus bench.inc]."""


def inc(x):
    return x + 1
