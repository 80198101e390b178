//! Fuzzes the usbredir packet parser, the guest state machine fed in
//! arbitrary chunks, the virtual device's host side, and the HID and
//! USB-MIDI decoders.
//!
//! Invariants checked besides "no panic": a decoded frame never claims more
//! bytes than it was given, re-encoding a decoded packet decodes back to the
//! same packet with the same length accounting, and "incomplete" always asks
//! for more than it had.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pyrus_usb::hid::{HidDecoder, ReportDescriptor};
use pyrus_usb::midi::MidiDecoder;
use pyrus_usb::usbredir::guest::{Guest, GuestConfig};
use pyrus_usb::usbredir::wire::{Caps, Codec, Decoded};
use pyrus_usb::virtual_device::VirtualDevice;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let caps = Caps(u32::from(sel));

    // 1. The codec alone, negotiated or not.
    let mut codec = Codec::new(Caps(0xff));
    if sel & 0x80 != 0 {
        codec.set_peer_caps(caps);
    }
    match codec.decode(rest) {
        Ok(Decoded::Incomplete { needed }) => assert!(needed > rest.len()),
        Ok(Decoded::Frame(f, n)) => {
            assert!(n <= rest.len());
            let mut again = Vec::new();
            if codec.encode(f.id, &f.packet, &mut again).is_ok() {
                match codec.decode(&again) {
                    Ok(Decoded::Frame(g, m)) => {
                        assert_eq!(m, again.len());
                        assert_eq!(g.packet, f.packet);
                    }
                    other => panic!("re-encoded packet did not decode: {other:?}"),
                }
            }
        }
        Err(_) => {}
    }

    // 2. The guest, fed in chunks whose size comes from the selector byte.
    let chunk = usize::from(sel % 17) + 1;
    let mut guest = Guest::new(GuestConfig {
        caps,
        raw: sel & 1 == 0,
        max_sysex: 64,
        first_id: 0xffff_fffe,
    });
    let mut buf = Vec::new();
    let mut events = 0usize;
    for piece in rest.chunks(chunk) {
        buf.extend_from_slice(piece);
        match guest.handle_input(&buf, &mut |_| events += 1) {
            Ok(n) => {
                assert!(n <= buf.len());
                buf.drain(..n);
            }
            Err(_) => break,
        }
        let _ = guest.take_transmit();
    }

    // 3. The host side (what the virtual device makes of a guest's bytes).
    let mut dev = VirtualDevice::new(caps);
    let mut buf = Vec::new();
    for piece in rest.chunks(chunk) {
        buf.extend_from_slice(piece);
        match dev.handle_input(&buf) {
            Ok(n) => {
                assert!(n <= buf.len());
                buf.drain(..n);
            }
            Err(_) => break,
        }
        let _ = dev.take_transmit();
    }

    // 4. HID: the first half as a descriptor, the rest as reports.
    let (desc, reports) = rest.split_at(rest.len() / 2);
    if let Ok(rd) = ReportDescriptor::parse(desc) {
        let mut dec = HidDecoder::new(rd, true);
        for r in reports.chunks(chunk) {
            dec.report(r, &mut |_| {});
        }
    }

    // 5. USB-MIDI.
    let mut midi = MidiDecoder::new(32, true);
    midi.decode(rest, &mut |_| {});
});
