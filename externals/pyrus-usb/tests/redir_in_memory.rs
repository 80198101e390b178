//! The sans-IO guest against the sans-IO virtual device, bytes passed in memory.

use pyrus_usb::usbredir::guest::{default_caps, Guest, GuestConfig, GuestError};
use pyrus_usb::usbredir::wire::{cap, Caps};
use pyrus_usb::virtual_device::{self, VirtualDevice};
use pyrus_usb::{Event, Midi};

struct Pair {
    guest: Guest,
    dev: VirtualDevice,
    g_in: Vec<u8>,
    d_in: Vec<u8>,
    events: Vec<Event>,
    /// Everything the device and the guest sent, for fuzz seeds.
    host_stream: Vec<u8>,
    guest_stream: Vec<u8>,
}

impl Pair {
    fn new(guest_caps: Caps, host_caps: Caps) -> Self {
        Pair {
            guest: Guest::new(GuestConfig { caps: guest_caps, first_id: 0xffff_fffe, ..Default::default() }),
            dev: VirtualDevice::new(host_caps),
            g_in: Vec::new(),
            d_in: Vec::new(),
            events: Vec::new(),
            host_stream: Vec::new(),
            guest_stream: Vec::new(),
        }
    }

    /// Moves bytes both ways until neither side has anything to say, feeding
    /// `chunk`-byte pieces to exercise partial input.
    fn pump(&mut self, chunk: usize) {
        for _ in 0..1000 {
            let a = self.guest.take_transmit();
            let b = self.dev.take_transmit();
            self.host_stream.extend_from_slice(&b);
            self.guest_stream.extend_from_slice(&a);
            if a.is_empty() && b.is_empty() {
                return;
            }
            for piece in a.chunks(chunk) {
                self.d_in.extend_from_slice(piece);
                let n = self.dev.handle_input(&self.d_in).unwrap();
                self.d_in.drain(..n);
            }
            for piece in b.chunks(chunk) {
                self.g_in.extend_from_slice(piece);
                let events = &mut self.events;
                let n = self.guest.handle_input(&self.g_in, &mut |e| events.push(e)).unwrap();
                self.g_in.drain(..n);
            }
        }
        panic!("peers never went quiet");
    }
}

fn session(guest_caps: Caps, host_caps: Caps, chunk: usize) {
    let mut p = Pair::new(guest_caps, host_caps);
    p.pump(chunk);
    assert_eq!(
        p.events,
        vec![Event::Connected {
            vid: virtual_device::VID,
            pid: virtual_device::PID,
            name: "pyrus Virtual MIDI HID".into()
        }]
    );
    assert!(p.dev.streaming());
    assert_eq!(p.dev.stalled_requests, 0);
    p.events.clear();

    let sysex = Midi::SysEx(
        (0..40)
            .map(|i| {
                if i == 0 {
                    0xf0
                } else if i == 39 {
                    0xf7
                } else {
                    i
                }
            })
            .collect(),
    );
    let script = [
        (0, Midi::Note { ch: 1, pitch: 60, vel: 100 }),
        (0, Midi::Cc { ch: 2, num: 74, val: 3 }),
        (1, Midi::Bend { ch: 16, v: -200 }),
        (0, sysex),
        (0, Midi::Clock),
        (0, Midi::Note { ch: 1, pitch: 60, vel: 0 }),
    ];
    for (cable, m) in &script {
        p.dev.play(*cable, m).unwrap();
    }
    p.dev.hid(0b0101, 200).unwrap();
    p.pump(chunk);
    let want: Vec<Event> = script
        .iter()
        .map(|(cable, msg)| Event::Midi { cable: *cable, msg: msg.clone() })
        .chain([
            Event::Hid { page: 9, usage: 1, value: 1 },
            Event::Hid { page: 9, usage: 3, value: 1 },
            Event::Hid { page: 1, usage: 0x30, value: 200 },
        ])
        .collect();
    // Endpoints are independent streams (bulk requests may lag behind the
    // interrupt endpoint): order is kept within each, not across them.
    let split =
        |v: &[Event]| -> (Vec<Event>, Vec<Event>) { v.iter().cloned().partition(|e| matches!(e, Event::Midi { .. })) };
    assert_eq!(split(&p.events), split(&want));
    p.events.clear();

    // MIDI out to the device; a SysEx too long for one transfer is refused, not sent.
    let huge = Midi::SysEx([0xf0].into_iter().chain(std::iter::repeat_n(1, 300_000)).chain([0xf7]).collect());
    assert!(matches!(p.guest.send_midi(0, &huge), Err(GuestError::Wire(_))));
    p.guest.send_midi(3, &Midi::Program { ch: 4, n: 5 }).unwrap();
    p.pump(chunk);
    assert_eq!(p.dev.received_midi, vec![0x3c, 0xc3, 5, 0]);

    // Unplug: the guest acknowledges when both sides can.
    p.dev.disconnect().unwrap();
    p.pump(chunk);
    assert_eq!(p.events, vec![Event::Disconnected]);
    let ack = guest_caps.has(cap::DEVICE_DISCONNECT_ACK) && host_caps.has(cap::DEVICE_DISCONNECT_ACK);
    assert_eq!(p.dev.disconnect_acked, ack);
    assert_eq!(p.guest.send_midi(0, &Midi::Clock), Err(GuestError::NoDevice), "the device is gone");
}

#[test]
fn full_caps_64bit_ids_and_bulk_receiving() {
    session(default_caps(), default_caps(), usize::MAX);
}

#[test]
fn host_without_caps_32bit_ids_and_bulk_requests() {
    session(default_caps(), Caps(0), usize::MAX);
}

#[test]
fn guest_without_caps() {
    session(Caps(0), default_caps(), usize::MAX);
}

#[test]
fn byte_by_byte_delivery() {
    session(default_caps(), default_caps(), 1);
    session(default_caps(), Caps(0), 3);
}

#[test]
fn device_replugged_on_the_same_connection_enumerates_again() {
    let mut p = Pair::new(default_caps(), default_caps());
    p.pump(usize::MAX);
    p.dev.disconnect().unwrap();
    p.pump(usize::MAX);
    p.dev.reconnect().unwrap();
    p.pump(usize::MAX);
    p.dev.play(0, &Midi::Stop).unwrap();
    p.pump(usize::MAX);
    let connected =
        Event::Connected { vid: virtual_device::VID, pid: virtual_device::PID, name: "pyrus Virtual MIDI HID".into() };
    assert_eq!(
        p.events,
        vec![connected.clone(), Event::Disconnected, connected, Event::Midi { cable: 0, msg: Midi::Stop }]
    );
}

#[test]
fn device_connect_before_the_infos_is_accepted() {
    let mut p = Pair::new(default_caps(), default_caps());
    p.dev.connect_first = true;
    p.pump(usize::MAX);
    assert!(matches!(p.events.as_slice(), [Event::Connected { .. }]));
    assert!(p.dev.streaming());
}

#[test]
fn device_connect_twice_without_disconnect_fails_the_connection() {
    let mut p = Pair::new(default_caps(), default_caps());
    p.pump(usize::MAX);
    p.dev.reconnect().unwrap();
    let bytes = p.dev.take_transmit();
    let r = p.guest.handle_input(&bytes, &mut |_| {});
    assert!(matches!(r, Err(GuestError::Unexpected { .. })), "{r:?}");
}

#[test]
fn a_stalling_bulk_endpoint_is_given_up_not_spun_on() {
    // Without bulk receiving the guest keeps requests outstanding; a device
    // that stalls every one must not turn that into an endless loop.
    let mut p = Pair::new(default_caps(), Caps(0));
    p.dev.stall_bulk_in = true;
    p.pump(usize::MAX);
    let errors = p.events.iter().filter(|e| matches!(e, Event::Error(_))).count();
    assert_eq!(errors, pyrus_usb::usbredir::guest::MAX_BULK_FAILURES as usize);
    assert!(matches!(p.events.last(), Some(Event::Error(t)) if t.ends_with("giving up")));
    assert!(p.dev.bulk_in_requests <= 2 * pyrus_usb::usbredir::guest::MAX_BULK_FAILURES as usize);
}

#[test]
fn malformed_hid_report_is_an_event_not_a_failure() {
    let mut p = Pair::new(default_caps(), default_caps());
    p.pump(usize::MAX);
    p.events.clear();
    p.dev.hid_report(&[1]).unwrap();
    p.dev.hid_report(&[7, 0, 0]).unwrap();
    p.pump(usize::MAX);
    assert_eq!(p.events.len(), 2);
    assert!(p.events.iter().all(|e| matches!(e, Event::Error(_))));
}

#[test]
fn host_only_packets_from_the_peer_fail_the_connection() {
    use pyrus_usb::usbredir::wire::{Codec, Packet};
    let mut g = Guest::new(GuestConfig::default());
    let mut host = Codec::new(Caps(0));
    let mut bytes = Vec::new();
    host.encode(0, &Packet::Hello { version: "t".into(), caps: Caps(0) }, &mut bytes).unwrap();
    host.set_peer_caps(default_caps());
    // A guest-to-host command arriving at the guest.
    host.encode(1, &Packet::StartInterruptReceiving { endpoint: 0x81 }, &mut bytes).unwrap();
    let r = g.handle_input(&bytes, &mut |_| {});
    assert!(matches!(r, Err(GuestError::Unexpected { .. })), "{r:?}");
    // And the guest stays failed.
    assert!(g.handle_input(&[], &mut |_| {}).is_err());

    // Data before any device.
    let mut g = Guest::new(GuestConfig::default());
    let mut bytes = Vec::new();
    let mut host = Codec::new(Caps(0));
    host.encode(0, &Packet::Hello { version: "t".into(), caps: Caps(0) }, &mut bytes).unwrap();
    host.set_peer_caps(default_caps());
    host.encode(1, &Packet::Interrupt { endpoint: 0x81, status: 0, length: 1, data: vec![1] }, &mut bytes).unwrap();
    assert!(g.handle_input(&bytes, &mut |_| {}).is_err());
}

/// Writes whole host-side sessions as fuzz seeds (selector byte, then the
/// stream) when PYRUS_FUZZ_SEED_DIR is set; otherwise checks the stream is
/// what a fresh guest accepts in one go.
#[test]
fn host_streams_as_fuzz_seeds() {
    for (n, (sel, host)) in [(0xa0u8, default_caps()), (0x80, Caps(0))].into_iter().enumerate() {
        let mut p = Pair::new(Caps(u32::from(sel)), host);
        p.pump(usize::MAX);
        p.dev.play(0, &Midi::SysEx(vec![0xf0, 1, 2, 3, 4, 5, 0xf7])).unwrap();
        p.dev.hid(3, 9).unwrap();
        p.pump(usize::MAX);
        p.dev.disconnect().unwrap();
        p.pump(usize::MAX);
        let mut fresh =
            Guest::new(GuestConfig { caps: Caps(u32::from(sel)), first_id: 0xffff_fffe, ..Default::default() });
        let used = fresh.handle_input(&p.host_stream, &mut |_| {}).unwrap();
        assert_eq!(used, p.host_stream.len());
        if let Ok(dir) = std::env::var("PYRUS_FUZZ_SEED_DIR") {
            let mut seed = vec![sel];
            seed.extend_from_slice(&p.host_stream);
            std::fs::write(format!("{dir}/session-{n}"), seed).unwrap();
            let mut seed = vec![sel];
            seed.extend_from_slice(&p.guest_stream);
            std::fs::write(format!("{dir}/guest-session-{n}"), seed).unwrap();
        }
    }
}
