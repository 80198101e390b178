"""pyrus.Array: a host's array (a Pd array, a Max buffer~) for one call.

pyrus.array(NAME) returns one. It is valid for the call that made it: the
engine clears it when that call ends, and using it later raises
pyrus.ArrayError (Pd may resize or delete the array between calls). In a
call on the host's thread (detach 0) every operation works in place on a
numpy view of the host's memory, made for that operation and dropped after
it, so no view outlives it:

    a = pyrus.array("table")
    a[0:64] = np.hanning(64)       # written at once, [tabread table] sees it
    a *= 0.5                       # in place
    np.sin(x, out=a)               # ufuncs write into the array
    m = np.mean(a)                 # numpy functions read it, no copy
    b = a[10:20]                   # reads are copies
    a.redraw(); a.resize(1024)

Pd arrays are 1-D (float32 every 8 bytes in Pd's 32-bit build: Pd's t_word;
float64 in Pd64); Max buffer~s are 2-D, (frames, channels) float32. A
result that shares memory with a view is copied, so no view escapes.

In a detached call (detach 1|2, or a script's own thread) the only
operations are read(), write(values, start=0), len(), resize(n) and
redraw(): each asks the host's thread, which carries it out within a tick.
"""

import numpy as np

from _pyrus import ArrayError, _array

_INPLACE = "add sub mul truediv floordiv mod pow matmul and or xor lshift rshift".split()


class _Views:
    """The live views of the Arrays in one operation, released after it."""

    def __init__(self):
        self.held = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for handle, _ in self.held:
            handle.release()
        self.held.clear()
        return False

    def view(self, array):
        view = array._h.acquire()
        self.held.append((array._h, view))
        return view

    def put(self, value):
        """value with every Array in it (in tuples, lists, dicts) as its view."""
        if isinstance(value, Array):
            return self.view(value)
        if isinstance(value, (tuple, list)):
            return type(value)(self.put(v) for v in value)
        if isinstance(value, dict):
            return {k: self.put(v) for k, v in value.items()}
        return value

    def own(self, result):
        """result, with every array that may share a view's memory copied."""
        if isinstance(result, np.ndarray):
            if any(np.may_share_memory(result, view) for _, view in self.held):
                return result.copy()
            return result
        if isinstance(result, (tuple, list)):
            return type(result)(self.own(r) for r in result)
        return result


def _plain(value):
    """A value to assign from: an Array as a copy of its samples."""
    return value.read() if isinstance(value, Array) else value


class Array(np.lib.mixins.NDArrayOperatorsMixin):
    """A host array for one call (see the module's doc)."""

    __slots__ = ("_h",)

    def __init__(self, handle):
        self._h = handle

    @property
    def name(self):
        return self._h.name

    def _do(self, f):
        with _Views() as views:
            return views.own(f(views.view(self)))

    # Operations that work in every call (requests in a detached one).
    def __len__(self):
        return self._h.len()

    def len(self):
        """Frames in the array."""
        return self._h.len()

    def read(self):
        """A copy of the samples (1-D in Pd, (frames, channels) in Max)."""
        data, frames, channels, dtype = self._h.read()
        values = np.frombuffer(data, dtype=np.float64).astype(dtype)
        return values.reshape((frames,) if channels is None else (frames, channels))

    def write(self, values, start=0):
        """Writes values from frame start on, clipped at the array's end;
        returns how many frames were written."""
        start = int(start)
        if start < 0:
            raise ValueError(f"start must be 0 or more, not {start}")
        values = np.ascontiguousarray(_plain(values), dtype=np.float64)
        return self._h.write(values.tobytes(), start)

    def resize(self, frames):
        """Resizes the array to frames frames."""
        self._h.resize(int(frames))

    def redraw(self):
        """Shows the new contents (Pd: redraws the array; Max: marks the buffer~ dirty)."""
        self._h.redraw()

    # Views: a call on the host's thread only.
    @property
    def shape(self):
        return self._do(lambda v: v.shape)

    @property
    def dtype(self):
        return self._do(lambda v: v.dtype)

    @property
    def ndim(self):
        return self._do(lambda v: v.ndim)

    @property
    def size(self):
        return self._do(lambda v: v.size)

    def __getitem__(self, key):
        return self._do(lambda v: v[_plain(key)])

    def __setitem__(self, key, value):
        value = _plain(value)
        self._do(lambda v: v.__setitem__(key, value))

    def __iter__(self):
        return iter(self._do(lambda v: v.copy()))

    def __array__(self, dtype=None, copy=None):
        return self._do(lambda v: np.array(v, dtype=dtype, copy=True))

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        with _Views() as views:
            inputs = views.put(inputs)
            if out is not None:
                kwargs["out"] = views.put(out)
            result = getattr(ufunc, method)(*inputs, **kwargs)
            if out is not None:
                # The results are the outputs given (an Array stays itself).
                return out[0] if len(out) == 1 else out
            return views.own(result)

    def __array_function__(self, func, types, args, kwargs):
        with _Views() as views:
            return views.own(func(*views.put(args), **views.put(kwargs)))

    def __repr__(self):
        try:
            return f"pyrus.Array({self.name!r}, {self.shape}, {self.dtype})"
        except ArrayError:
            return f"pyrus.Array({self.name!r})"


def _inplace(op):
    ufunc = {
        "add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
        "floordiv": np.floor_divide, "mod": np.remainder, "pow": np.power, "matmul": None,
        "and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor,
        "lshift": np.left_shift, "rshift": np.right_shift,
    }[op]

    def method(self, other):
        other = _plain(other)
        if ufunc is None:
            raise TypeError("in-place matrix multiplication is not supported for arrays")
        with _Views() as views:
            ufunc(views.view(self), other, out=views.view(self))
        return self

    method.__name__ = f"__i{op}__"
    return method


for _op in _INPLACE:
    setattr(Array, f"__i{_op}__", _inplace(_op))


def array(name):
    """The host's array (Pd) or buffer~ (Max) named name, for this call."""
    return Array(_array(str(name)))


__all__ = ["Array", "ArrayError", "array"]
