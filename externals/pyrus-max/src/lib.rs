//! Placeholder until the Max host lands (h-max's branch replaces this crate's
//! source): lets the scenario tests in `tests/` compile.
