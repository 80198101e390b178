//! pyrus-usb: the host-agnostic USB MIDI / HID engine of pyrus.
//!
//! TODO crate docs
#![forbid(unsafe_code)]

pub mod demo;
pub mod descriptors;
pub mod event;
pub mod hid;
pub mod local;
pub mod midi;
pub mod net;
pub mod queue;
pub mod usbredir;
pub mod virtual_device;

pub use event::{Event, Midi};
pub use queue::EventQueue;
