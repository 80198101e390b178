//! What each inlet and outlet of an object is for, in a line of words: the
//! text a host shows when the pointer rests on a port (Max's `assist`).
//!
//! A class says it with `inlet_help` and `outlet_help` (sequences of
//! strings, one per port); an inlet it does not describe so is described by
//! the first docstring lines of its `in_N_*` methods. A function is
//! described by its name and its docstring's first line; an interpreter by
//! the messages it takes. The status outlet, always last, says what it
//! reports.
//!
//! # Threading
//! [`Assist::of_class`] and [`Assist::of_function`] read Python (the caller
//! is attached, on the thread resolving the target); the texts are then
//! plain strings that a host thread reads without Python.

use crate::object::options::PYTHON_MESSAGES;
use pyo3::prelude::*;

/// What the status outlet reports, for every object.
pub const STATUS: &str = "status: error TYPE MESSAGE..., busy 1 and busy 0 around detached calls, \
                          dropped N, replaced N, stopped";

/// The port texts of one object, but for the status outlet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Assist {
    inlets: Vec<String>,
    outlets: Vec<String>,
}

impl Assist {
    /// An object with no target, or a module's: an interpreter.
    pub fn interpreter(module: Option<&str>) -> Assist {
        let within = module.map(|m| format!(" (with {m} imported)")).unwrap_or_default();
        Assist {
            inlets: vec![format!(
                "{}{within}; options: detach, latest, queue, watch; stop, open",
                PYTHON_MESSAGES.join(", ")
            )],
            outlets: vec!["results of eval and call".into()],
        }
    }

    /// A target that did not resolve (yet): say so, and how to mend it.
    pub fn unresolved(path: &str) -> Assist {
        Assist {
            inlets: vec![format!(
                "messages for {path}, which did not load: see the status outlet, fix it, send reload"
            )],
            outlets: vec![format!("what {path} returns")],
        }
    }

    /// Function mode: every message calls `path`.
    pub fn of_function(path: &str, function: &Bound<'_, PyAny>) -> Assist {
        let doc = first_doc_line(function).map(|d| format!(": {d}")).unwrap_or_default();
        Assist {
            inlets: vec![format!("each message calls {path}{doc}")],
            outlets: vec![format!("what {path} returns")],
        }
    }

    /// Class mode, for a class with `inlets` inlets and `outlets` data outlets.
    pub fn of_class(class: &Bound<'_, PyAny>, inlets: usize, outlets: usize) -> Assist {
        let declared = |name: &str| -> Vec<Option<String>> {
            let texts = class.getattr(name).ok().and_then(|v| v.extract::<Vec<Option<String>>>().ok());
            texts.unwrap_or_default()
        };
        let (inlet_help, outlet_help) = (declared("inlet_help"), declared("outlet_help"));
        let methods = methods_by_inlet(class, inlets);
        let inlets = (0..inlets)
            .map(|n| match inlet_help.get(n).cloned().flatten() {
                Some(text) => text,
                None if methods[n].is_empty() => format!("inlet {n}: no in_{n}_ method"),
                None => methods[n].join("; "),
            })
            .collect();
        let outlets = (0..outlets)
            .map(|n| outlet_help.get(n).cloned().flatten().unwrap_or_else(|| format!("outlet {n}")))
            .collect();
        Assist { inlets, outlets }
    }

    /// The text of inlet `n`.
    pub fn inlet(&self, n: usize) -> Option<&str> {
        self.inlets.get(n).map(String::as_str)
    }

    /// The text of data outlet `n`.
    pub fn outlet(&self, n: usize) -> Option<&str> {
        self.outlets.get(n).map(String::as_str)
    }
}

/// For each inlet, `WORD: first doc line` (or `WORD`) of every `in_N_WORD`
/// method of the class, in the class's order of definition.
fn methods_by_inlet(class: &Bound<'_, PyAny>, inlets: usize) -> Vec<Vec<String>> {
    let mut by_inlet = vec![Vec::new(); inlets];
    // The class and its bases, most derived first (`__mro__`), each
    // method named once.
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mro: Vec<Bound<'_, PyAny>> =
        class.getattr("__mro__").and_then(|m| m.extract()).unwrap_or_else(|_| vec![class.clone()]);
    for klass in mro {
        // Its own names, in the order the class body defined them.
        let names = klass.getattr("__dict__").and_then(|d| d.call_method0("keys"));
        let names = names.and_then(|keys| klass.py().import("builtins")?.getattr("list")?.call1((keys,)));
        let Ok(names) = names.and_then(|list| list.extract::<Vec<String>>()) else { continue };
        for name in names {
            let Some((n, word)) = inlet_method(&name) else { continue };
            if n >= inlets || seen.contains(&name) {
                continue;
            }
            let text = match klass.getattr(name.as_str()).ok().and_then(|value| first_doc_line(&value)) {
                Some(doc) => format!("{word}: {doc}"),
                None => word.to_owned(),
            };
            by_inlet[n].push(text);
            seen.insert(name);
        }
    }
    by_inlet
}

/// `in_2_float` is inlet 2's `float`.
fn inlet_method(name: &str) -> Option<(usize, &str)> {
    let rest = name.strip_prefix("in_")?;
    let (n, word) = rest.split_once('_')?;
    if word.is_empty() {
        return None;
    }
    Some((n.parse().ok()?, word))
}

/// The first non-empty line of an object's own docstring.
fn first_doc_line(value: &Bound<'_, PyAny>) -> Option<String> {
    let doc: Option<String> = value.getattr("__doc__").ok()?.extract().ok()?;
    doc?.lines().map(str::trim).find(|l| !l.is_empty()).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::inlet_method;

    #[test]
    fn inlet_methods_are_named_by_number_and_word() {
        assert_eq!(inlet_method("in_0_float"), Some((0, "float")));
        assert_eq!(inlet_method("in_12_set_rate"), Some((12, "set_rate")));
        assert_eq!(inlet_method("in_x_float"), None);
        assert_eq!(inlet_method("in_1_"), None);
        assert_eq!(inlet_method("out_1_float"), None);
    }
}
