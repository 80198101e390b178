//! Conversion between host atoms and Python values: no state, on any
//! thread attached to Python (a host thread in `detach 0`, a worker, a
//! script's thread).
//!
//! How numbers convert depends on the host's [`Numbers`] (see
//! [`crate::Host::numbers`]): a host with floats only (Pd) cannot tell `2`
//! from `2.0`, so an integral float is taken for an `int`, as a script
//! expects of `range(n)` or indexing; a host with ints and floats (Max) says
//! which it means, and conversion keeps it exactly.
//!
//! | host → Python | floats only (Pd) | ints and floats (Max) |
//! |---|---|---|
//! | int | `int` | `int` |
//! | float, integral (within ±2^53) | `int` | `float` |
//! | float, otherwise | `float` | `float` |
//! | symbol | `str` | `str` |
//! | list | positional arguments | positional arguments |
//! | bang | no arguments | no arguments |
//!
//! | Python → host | floats only (Pd) | ints and floats (Max) |
//! |---|---|---|
//! | `None` | nothing is sent | nothing is sent |
//! | `pyrus.bang` | bang | bang |
//! | `int` | float (an `OverflowError` beyond the float range) | int (an `OverflowError` outside -2^63..2^63-1) |
//! | `bool` | float 0 or 1 | int 0 or 1 |
//! | `float` | float | float |
//! | `str` | symbol | symbol |
//! | `list`, `tuple` of scalars | list (a nested list is a `TypeError`: flatten it first) | the same |
//! | `bytes`, `bytearray` | list of byte values, floats | list of byte values, ints |
//! | numpy scalars and 1-D arrays (anything with `tolist()` and `ndim`) | as the plain values `tolist()` gives | the same |
//! | `pyrus.Message(sel, *args)` | a message with selector `sel` | the same |
//! | anything else | its `str()` as a symbol | the same |
//!
//! `pyrus.out(*values)`, `self.out(k, *values)` and `pyrus.send(name, *values)`:
//! no value is a bang, one converts as above, several whose first is a `str`
//! make the message with that selector (`out("reset", 3)` is `reset 3`, which
//! `[route reset]` matches), several others a list.
//!
//! Code text (`eval`, `exec`) is the atoms' text joined by spaces
//! ([`code_text`]), so a number in it is what the host kept of what was
//! typed. With floats only it is the number as the host prints it (`2`), and
//! [`rounded_numbers`] names the ones that likely lost digits to the host's
//! float precision; with ints and floats a float stays a float literal
//! (`2.0`), an int an int literal (`2`).
//!
//! Symbols cannot hold a NUL character (hosts keep them as C strings), so a
//! string containing one is a `ValueError` rather than a silently cut symbol.

pub use crate::python::values::selector_text;
use crate::python::values::{symbol_text, Bang, Message as PyMessage};
use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyFloat, PyInt, PyList, PyString, PyTuple};
use pyrus_atoms::{Atom, Message, Numbers, OwnedAtom, OwnedMessage};
use std::borrow::Cow;

/// Largest float that is still an exact integer in an `f64`.
const EXACT_INT: f64 = 9_007_199_254_740_992.0;

/// One host atom as a Python value.
pub fn atom_to_py<'py>(py: Python<'py>, atom: &Atom<'_>, numbers: Numbers) -> Bound<'py, PyAny> {
    match atom {
        Atom::Int(i) => int_to_py(py, *i),
        Atom::Float(f) => float_to_py(py, *f, numbers),
        Atom::Symbol(s) => PyString::new(py, s).into_any(),
    }
}

/// A host int as a Python `int`.
pub fn int_to_py(py: Python<'_>, i: i64) -> Bound<'_, PyAny> {
    // Infallible: an i64 always converts.
    i.into_pyobject(py).expect("int").into_any()
}

/// A host float as a Python `float`; with floats only, as an `int` when it
/// is integral, so that `range(n)`, indexing and `%d` work as a script
/// expects.
pub fn float_to_py(py: Python<'_>, f: f64, numbers: Numbers) -> Bound<'_, PyAny> {
    if !numbers.has_ints() {
        // An integral float survives the trip through i64 (any other value
        // saturates or truncates): one conversion, where `fract` is a call
        // into libm on x86-64's baseline.
        let i = f as i64;
        if i as f64 == f && f.abs() <= EXACT_INT {
            return int_to_py(py, i);
        }
    }
    PyFloat::new(py, f).into_any()
}

/// The positional arguments a message carries, after `leading` ones.
/// A selector other than the built-in ones comes first, as a `str`:
/// Pd treats `foo 1 2` as a list that starts with a symbol.
pub fn message_args<'py>(
    py: Python<'py>,
    leading: &[OwnedAtom],
    message: &Message<'_>,
    numbers: Numbers,
) -> PyResult<Bound<'py, PyTuple>> {
    let mut args: Vec<Bound<'py, PyAny>> = Vec::with_capacity(leading.len() + 1);
    args.extend(leading.iter().map(|a| atom_to_py(py, a, numbers)));
    match message {
        Message::Bang => {}
        Message::Int(i) => args.push(int_to_py(py, *i)),
        Message::Float(f) => args.push(float_to_py(py, *f, numbers)),
        Message::Symbol(s) => args.push(PyString::new(py, s).into_any()),
        Message::List(atoms) => args.extend(atoms.iter().map(|a| atom_to_py(py, a, numbers))),
        Message::Anything(sel, atoms) => {
            args.push(PyString::new(py, sel).into_any());
            args.extend(atoms.iter().map(|a| atom_to_py(py, a, numbers)));
        }
    }
    PyTuple::new(py, args)
}

/// What a Python value sends out of an outlet, if anything (see the table above).
pub fn py_to_message(value: &Bound<'_, PyAny>, numbers: Numbers) -> PyResult<Option<OwnedMessage>> {
    if let Some(number) = exact_number(value, numbers) {
        return number.map(Some);
    }
    if value.is_none() {
        return Ok(None);
    }
    if value.is_instance_of::<Bang>() {
        return Ok(Some(Message::Bang));
    }
    if let Ok(m) = value.cast::<PyMessage>() {
        let m = m.get();
        let py = value.py();
        let selector = selector_text(m.selector.bind(py).as_any())?;
        let args = atoms(m.args.bind(py).as_any(), numbers)?;
        return Ok(Some(Message::from_selector(selector, args)));
    }
    if value.is_instance_of::<PyString>() {
        return Ok(Some(Message::Symbol(Cow::Owned(symbol_text(value)?))));
    }
    if let Some(number) = scalar(value, numbers)? {
        return Ok(Some(number_message(number)));
    }
    if is_sequence(value) {
        return Ok(Some(Message::List(Cow::Owned(atoms(value, numbers)?))));
    }
    if let Some(plain) = numpy_like(value)? {
        return py_to_message(&plain, numbers);
    }
    Ok(Some(Message::Symbol(Cow::Owned(symbol_text(value.str()?.as_any())?))))
}

/// The message of an exact `float` or `int`, the common results (checked
/// first, by exact type), or None for a value of any other type. Inlined,
/// so that a caller's match sees through the result instead of moving it.
#[inline(always)]
pub fn exact_number(value: &Bound<'_, PyAny>, numbers: Numbers) -> Option<PyResult<OwnedMessage>> {
    if let Ok(f) = value.cast_exact::<PyFloat>() {
        return Some(Ok(Message::Float(f.value())));
    }
    if !value.is_exact_instance_of::<PyInt>() {
        return None;
    }
    Some(match numbers.has_ints() {
        false => int_to_float(value).map(Message::Float),
        true => int_atom(value, numbers).map(number_message),
    })
}

/// A number atom as the message that carries it alone.
fn number_message(number: OwnedAtom) -> OwnedMessage {
    match number {
        Atom::Int(i) => Message::Int(i),
        Atom::Float(f) => Message::Float(f),
        Atom::Symbol(_) => unreachable!("int_atom and scalar make numbers only"),
    }
}

/// The values of a `pyrus.out(*values)` call as one message: none is a bang,
/// one is converted as a result is; several make a message whose selector is
/// the first when it is a `str` (`"reset", 3` is `reset 3`, as pdlua's
/// `outlet(n, "reset", {3})` and Max's `outlet_anything` send), a list otherwise.
pub fn values_to_message(values: &Bound<'_, PyTuple>, numbers: Numbers) -> PyResult<Option<OwnedMessage>> {
    match values.len() {
        0 => Ok(Some(Message::Bang)),
        1 => py_to_message(&values.get_item(0)?, numbers),
        _ => {
            let first = values.get_item(0)?;
            if !first.is_instance_of::<PyString>() {
                return Ok(Some(Message::List(Cow::Owned(atoms(values.as_any(), numbers)?))));
            }
            let selector = selector_text(&first)?;
            let args = atoms(values.get_slice(1, values.len()).as_any(), numbers)?;
            Ok(Some(Message::from_selector(selector, args)))
        }
    }
}

/// The Python side of a host message: `note 1 60 100` becomes
/// `Message("note", 1, 60, 100)`, a float `Message("float", f)`.
pub(crate) fn message_to_py(py: Python<'_>, message: &Message<'_>, numbers: Numbers) -> PyResult<PyMessage> {
    let atoms = message.args();
    let args = atoms.iter().map(|a| atom_to_py(py, a, numbers));
    Ok(PyMessage { selector: PyString::new(py, message.selector()).unbind(), args: PyTuple::new(py, args)?.unbind() })
}

/// The elements of a flat sequence as atoms.
pub fn atoms(seq: &Bound<'_, PyAny>, numbers: Numbers) -> PyResult<Vec<OwnedAtom>> {
    if let Ok(b) = seq.cast::<PyBytes>() {
        return Ok(b.as_bytes().iter().map(|&x| whole(x.into(), numbers)).collect());
    }
    if let Ok(b) = seq.cast::<PyByteArray>() {
        return Ok(b.to_vec().into_iter().map(|x| whole(x.into(), numbers)).collect());
    }
    let mut out = Vec::with_capacity(seq.len().unwrap_or(0));
    for (i, item) in seq.try_iter()?.enumerate() {
        let element = atom(&item?, numbers);
        out.push(element.map_err(|e| PyTypeError::new_err(format!("list element {i}: {}", e.value(seq.py()))))?);
    }
    Ok(out)
}

/// One element of a list as an atom: a number, a string, or the `str()` of anything
/// else that is not itself a sequence.
fn atom(item: &Bound<'_, PyAny>, numbers: Numbers) -> PyResult<OwnedAtom> {
    if let Some(number) = scalar(item, numbers)? {
        return Ok(number);
    }
    if item.is_instance_of::<PyString>() {
        return Ok(Atom::Symbol(Cow::Owned(symbol_text(item)?)));
    }
    if is_sequence(item) {
        return Err(PyTypeError::new_err("a nested list can't be sent as one host list; flatten it first"));
    }
    if let Some(plain) = numpy_like(item)? {
        return atom(&plain, numbers);
    }
    Ok(Atom::Symbol(Cow::Owned(symbol_text(item.str()?.as_any())?)))
}

/// A Python `float` or `int` (`bool` is one) as a number atom, or None for
/// anything else.
fn scalar(value: &Bound<'_, PyAny>, numbers: Numbers) -> PyResult<Option<OwnedAtom>> {
    if value.is_instance_of::<PyFloat>() {
        return value.extract::<f64>().map(|f| Some(Atom::Float(f)));
    }
    if value.is_instance_of::<PyInt>() {
        return int_atom(value, numbers).map(Some);
    }
    Ok(None)
}

/// A Python `int` as the host's number: exact where the host has ints (one
/// outside `i64` is an `OverflowError` naming the range), else the nearest
/// float (a huge one raises `OverflowError` as `float()` does).
fn int_atom(value: &Bound<'_, PyAny>, numbers: Numbers) -> PyResult<OwnedAtom> {
    if !numbers.has_ints() {
        return int_to_float(value).map(Atom::Float);
    }
    match value.extract::<i64>() {
        Ok(i) => Ok(Atom::Int(i)),
        Err(_) => {
            let shown = match value.repr() {
                Ok(r) if r.len().is_ok_and(|n| n <= 40) => r.to_string(),
                _ => format!("an int of {} bits", value.call_method0("bit_length")?),
            };
            Err(PyOverflowError::new_err(format!(
                "{shown} is outside the host's int range, {} to {}: send float(x) for a float",
                i64::MIN,
                i64::MAX
            )))
        }
    }
}

/// An `int` as the nearest float, by one CPython call (rounding as `i as
/// f64` does, and an `OverflowError` beyond the float range as `float()`
/// raises), where extracting an i64 and, failing that, a float took two
/// and pyo3's error checks.
#[allow(unsafe_code)] // one CPython call that pyo3 does not wrap for ints
#[inline]
fn int_to_float(value: &Bound<'_, PyAny>) -> PyResult<f64> {
    // SAFETY: `value` is a live int (or subclass), and being bound says this
    // thread is attached.
    let f = unsafe { pyo3::ffi::PyLong_AsDouble(value.as_ptr()) };
    // -1.0 is also a plain result: only a pending error says it failed.
    if f == -1.0 {
        if let Some(e) = PyErr::take(value.py()) {
            return Err(e);
        }
    }
    Ok(f)
}

/// A whole number as the host's atom for it: an int, or a float where the
/// host has floats only.
fn whole(i: i64, numbers: Numbers) -> OwnedAtom {
    if numbers.has_ints() {
        Atom::Int(i)
    } else {
        Atom::Float(i as f64)
    }
}

fn is_sequence(value: &Bound<'_, PyAny>) -> bool {
    value.is_instance_of::<PyList>()
        || value.is_instance_of::<PyTuple>()
        || value.is_instance_of::<PyBytes>()
        || value.is_instance_of::<PyByteArray>()
}

/// numpy scalars and arrays (and anything shaped like them) turn into plain
/// Python values through `tolist()`; numpy itself is never imported here.
fn numpy_like<'py>(value: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    if value.hasattr("tolist")? && value.hasattr("ndim")? {
        return value.call_method0("tolist").map(Some);
    }
    Ok(None)
}

/// Atoms as the code text of `eval`, `exec` and the like: their text
/// joined by spaces. With floats only, each as the host prints it (`2`:
/// an integral float reads as an int, as it converts); with ints and floats,
/// a float as a Python float literal (`2.0`, `1e16`, `float('inf')`), so
/// that `eval 2.0 / 4` and `eval 2 // 4` mean what was typed.
pub fn code_text(atoms: &[Atom<'_>], numbers: Numbers) -> String {
    let text = |a: &Atom<'_>| match a {
        Atom::Float(f) if numbers.has_ints() => float_literal(*f),
        _ => a.to_string(),
    };
    atoms.iter().map(text).collect::<Vec<_>>().join(" ")
}

/// A float as Python source that reads back as that float.
fn float_literal(f: f64) -> String {
    match f {
        // Debug is Rust's shortest round-trip form, always with a `.` or an exponent.
        _ if f.is_finite() => format!("{f:?}"),
        _ if f.is_nan() => "float('nan')".into(),
        _ if f > 0.0 => "float('inf')".into(),
        _ => "float('-inf')".into(),
    }
}

/// The numbers among `atoms` that likely lost digits to a host whose floats
/// have `mantissa_bits` bits (Pd's 32-bit floats: 24): integers beyond
/// 2^bits, and others needing more significant digits than that precision
/// holds (about 7 for 32 bits: `3.14159265358979` arrives as `3.1415927`).
/// A host float is shown at its shortest, so more digits than it holds means
/// more were typed. Each as the code text shows it.
pub fn rounded_numbers(atoms: &[Atom<'_>], mantissa_bits: u32) -> Vec<String> {
    let digits_held = (f64::from(mantissa_bits) * std::f64::consts::LOG10_2) as usize;
    let exact_integers = 2f64.powi(mantissa_bits as i32);
    atoms
        .iter()
        .filter_map(|a| match a {
            Atom::Float(f) if f.is_finite() => Some(*f),
            _ => None,
        })
        .filter(|f| {
            if f.fract() == 0.0 {
                return f.abs() > exact_integers && significant_digits(&format!("{f}")) > digits_held;
            }
            significant_digits(&format!("{f}")) > digits_held
        })
        .map(|f| Atom::Float(f).to_string())
        .collect()
}

/// Significant digits of a decimal numeral: `0.0012` has 2, `1200` has 2.
fn significant_digits(text: &str) -> usize {
    let digits: String = text.chars().take_while(|c| *c != 'e').filter(char::is_ascii_digit).collect();
    digits.trim_start_matches('0').trim_end_matches('0').len()
}

#[cfg(test)]
mod tests {
    use super::rounded_numbers;
    use pyrus_atoms::Atom;
    use std::borrow::Cow;

    /// Code as a 32-bit host (Pd) hands it over: each number typed is its
    /// nearest 32-bit float, an integral one exactly, another as its shortest
    /// decimal (as pyrus-pd's `widen`).
    fn as_pd(typed: &[&str]) -> Vec<Atom<'static>> {
        typed
            .iter()
            .map(|t| match t.parse::<f32>() {
                Ok(f) if f.fract() == 0.0 => Atom::Float(f64::from(f)),
                Ok(f) => Atom::Float(f.to_string().parse().unwrap()),
                Err(_) => Atom::Symbol(Cow::Owned(t.to_string())),
            })
            .collect()
    }

    #[test]
    fn numbers_beyond_the_hosts_precision_are_named_and_others_are_not() {
        let code = as_pd(&["seed", "=", "123456789", "+", "3.14159265358979", "+", "33554433"]);
        assert_eq!(rounded_numbers(&code, f32::MANTISSA_DIGITS), ["123456792", "3.1415927", "33554432"]);
        let fine =
            as_pd(&["0.1", "16777216", "100000000", "16777220", "-2.5", "1234567", "0.1234567", "1e-10", "7", "0"]);
        assert_eq!(rounded_numbers(&fine, f32::MANTISSA_DIGITS), Vec::<String>::new());
        // A 64-bit host keeps all of these.
        let typed: Vec<Atom<'_>> = [123456789.0, 1.23456789012345].into_iter().map(Atom::Float).collect();
        assert_eq!(rounded_numbers(&typed, f64::MANTISSA_DIGITS), Vec::<String>::new());
        let long = [Atom::Float(std::f64::consts::PI)];
        assert_eq!(rounded_numbers(&long, f64::MANTISSA_DIGITS), ["3.141592653589793"]);
    }
}
