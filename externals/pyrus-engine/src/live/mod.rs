//! Live coding: reloading an object when a script it uses is saved
//! (`watch`), and opening its script in the user's editor (`editor`).
//!
//! # Threading
//! `watch` has its own thread (`pyrus-watch`), which only turns file events
//! into deliveries; `editor` runs on the host's thread and never waits for
//! the editor.

pub(crate) mod editor;
pub(crate) mod watch;
