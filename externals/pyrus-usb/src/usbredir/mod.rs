//! The usbredir protocol (SPICE USB redirection, protocol 0.7), sans-IO.
//!
//! [`wire`] is the packet codec, [`guest`] the side that uses a device (this
//! engine), [`host`] the framing of the side that owns one (used by the
//! virtual device in tests and in `pyrus-usb demo`).
pub mod guest;
pub mod host;
pub mod wire;
