//! HID: a small report-descriptor parser and an input-report decoder that
//! turns reports into (usage page, usage, value) changes.
//!
//! Our own parser rather than a crate. Checked with `cargo info`:
//! `hidreport` 0.6.0 is pre-1.0 and brings the `hut` usage tables along;
//! `hidparser` 1.0.4 (no dependencies) would parse, but we need guarantees
//! we can state and fuzz here: every count bounded before allocating, and
//! errors instead of panics on any input. What the engine needs is narrow:
//! Input main items with their usages, sizes, logical range and report id.
//! Output and Feature items do not affect the input layout and are skipped;
//! long items are skipped by their declared size.
#![forbid(unsafe_code)]

use crate::event::Event;
use std::fmt;

/// At most this many input fields per descriptor; a descriptor asking for
/// more is rejected rather than allocated.
pub const MAX_FIELDS: usize = 4096;
/// At most this many bytes in one input report (64 KiB, the HID spec's wLength bound).
pub const MAX_REPORT_BYTES: usize = 65535;
const MAX_PUSH_DEPTH: usize = 16;
/// At most this many usages per main item.
pub const MAX_USAGES: usize = 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HidError {
    Truncated { at: usize },
    TooManyFields,
    ReportTooLong,
    BadReportSize(u32),
    StackOverflow,
    StackUnderflow,
}

impl fmt::Display for HidError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HidError::Truncated { at } => write!(f, "HID descriptor truncated at byte {at}"),
            HidError::TooManyFields => write!(f, "HID descriptor declares more than {MAX_FIELDS} fields"),
            HidError::ReportTooLong => write!(f, "HID report longer than {MAX_REPORT_BYTES} bytes"),
            HidError::BadReportSize(n) => write!(f, "HID report size {n} bits unsupported"),
            HidError::StackOverflow => write!(f, "HID push nested deeper than {MAX_PUSH_DEPTH}"),
            HidError::StackUnderflow => write!(f, "HID pop without push"),
        }
    }
}

impl std::error::Error for HidError {}

/// One input field: a run of bits in a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub bit_offset: u32,
    pub bit_size: u32,
    pub count: u32,
    pub logical_min: i32,
    pub logical_max: i32,
    /// Variable fields: one usage per element; array fields: the usage range
    /// indexed by `value - logical_min`. Each is `page << 16 | usage`.
    pub usages: Vec<u32>,
    pub variable: bool,
    pub constant: bool,
}

/// The input layout of one report id (0 when the device uses no ids).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub id: u8,
    pub bits: u32,
    pub fields: Vec<Field>,
}

/// The parsed input side of a report descriptor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportDescriptor {
    pub uses_ids: bool,
    pub reports: Vec<Report>,
}

#[derive(Clone, Copy, Default)]
struct Globals {
    page: u16,
    logical_min: i32,
    logical_max: i32,
    report_size: u32,
    report_id: u8,
    report_count: u32,
}

fn signed(data: u32, size: usize) -> i32 {
    match size {
        1 => data as u8 as i8 as i32,
        2 => data as u16 as i16 as i32,
        _ => data as i32,
    }
}

impl ReportDescriptor {
    /// Parses a report descriptor. Bounded: at most [`MAX_FIELDS`] fields and
    /// [`MAX_USAGES`] usages per main item, report sizes 1..=32 bits.
    pub fn parse(desc: &[u8]) -> Result<Self, HidError> {
        let mut g = Globals::default();
        let mut stack: Vec<Globals> = Vec::new();
        let mut usages: Vec<u32> = Vec::new();
        let mut usage_min: Option<u32> = None;
        let mut usage_max: Option<u32> = None;
        let mut out = ReportDescriptor::default();
        let mut nfields = 0usize;
        let mut i = 0usize;
        while i < desc.len() {
            let prefix = desc[i];
            if prefix == 0xfe {
                let size = *desc.get(i + 1).ok_or(HidError::Truncated { at: i })? as usize;
                i = i.checked_add(3 + size).ok_or(HidError::Truncated { at: i })?;
                if i > desc.len() {
                    return Err(HidError::Truncated { at: desc.len() });
                }
                continue;
            }
            let size = [0usize, 1, 2, 4][usize::from(prefix & 3)];
            let bytes = desc.get(i + 1..i + 1 + size).ok_or(HidError::Truncated { at: i })?;
            let data = bytes.iter().rev().fold(0u32, |a, &b| (a << 8) | u32::from(b));
            i += 1 + size;
            let tag = prefix >> 4;
            match (prefix >> 2) & 3 {
                // Main
                0 => {
                    if tag == 0x8 {
                        let variable = data & 2 != 0;
                        let constant = data & 1 != 0;
                        if g.report_size == 0 || g.report_size > 32 {
                            return Err(HidError::BadReportSize(g.report_size));
                        }
                        let usages_for_field = if let (Some(lo), Some(hi)) = (usage_min, usage_max) {
                            let span = hi.saturating_sub(lo) as usize + 1;
                            (0..span.min(MAX_USAGES) as u32).map(|k| lo + k).collect()
                        } else {
                            std::mem::take(&mut usages)
                        };
                        let id = g.report_id;
                        let idx = match out.reports.iter().position(|r| r.id == id) {
                            Some(p) => p,
                            None => {
                                out.reports.push(Report { id, ..Default::default() });
                                out.reports.len() - 1
                            }
                        };
                        let r = &mut out.reports[idx];
                        let bits = g.report_size.checked_mul(g.report_count).ok_or(HidError::ReportTooLong)?;
                        let count = if variable { g.report_count } else { 1 };
                        nfields = nfields.saturating_add(if variable { count as usize } else { 1 });
                        if nfields > MAX_FIELDS {
                            return Err(HidError::TooManyFields);
                        }
                        r.fields.push(Field {
                            bit_offset: r.bits,
                            bit_size: g.report_size,
                            count: g.report_count,
                            logical_min: g.logical_min,
                            logical_max: g.logical_max,
                            usages: usages_for_field,
                            variable,
                            constant,
                        });
                        r.bits = r.bits.checked_add(bits).ok_or(HidError::ReportTooLong)?;
                        if r.bits as usize > MAX_REPORT_BYTES * 8 {
                            return Err(HidError::ReportTooLong);
                        }
                    }
                    // Every main item ends the local state.
                    usages.clear();
                    usage_min = None;
                    usage_max = None;
                }
                // Global
                1 => match tag {
                    0x0 => g.page = data as u16,
                    0x1 => g.logical_min = signed(data, size),
                    // A maximum is unsigned when the minimum is not negative.
                    0x2 => g.logical_max = if g.logical_min >= 0 { data as i32 } else { signed(data, size) },
                    0x7 => g.report_size = data,
                    0x8 => {
                        g.report_id = data as u8;
                        out.uses_ids = true;
                    }
                    0x9 => g.report_count = data,
                    0xa => {
                        if stack.len() >= MAX_PUSH_DEPTH {
                            return Err(HidError::StackOverflow);
                        }
                        stack.push(g);
                    }
                    0xb => g = stack.pop().ok_or(HidError::StackUnderflow)?,
                    _ => {}
                },
                // Local
                2 => {
                    let full = |d: u32| {
                        if size == 4 {
                            d
                        } else {
                            (u32::from(g.page) << 16) | (d & 0xffff)
                        }
                    };
                    match tag {
                        0x0 if usages.len() < MAX_USAGES => {
                            usages.push(full(data));
                        }
                        0x1 => usage_min = Some(full(data)),
                        0x2 => usage_max = Some(full(data)),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }

    pub fn report(&self, id: u8) -> Option<&Report> {
        self.reports.iter().find(|r| r.id == id)
    }
}

/// Reads `size` (1..=32) bits at `offset`, least significant bit first.
fn bits(data: &[u8], offset: u32, size: u32) -> Option<u32> {
    let mut v: u64 = 0;
    let first = (offset / 8) as usize;
    let last = ((offset + size - 1) / 8) as usize;
    for (k, b) in data.get(first..=last)?.iter().enumerate() {
        v |= u64::from(*b) << (8 * k);
    }
    v >>= offset % 8;
    Some((v & ((1u64 << size) - 1)) as u32)
}

fn extend(raw: u32, size: u32, signed: bool) -> i32 {
    if signed && size < 32 && raw & (1 << (size - 1)) != 0 {
        (raw | !((1u32 << size) - 1)) as i32
    } else {
        raw as i32
    }
}

/// Decodes input reports into changes against the previous report.
pub struct HidDecoder {
    desc: ReportDescriptor,
    /// Last value per variable element, per report (same order as fields).
    last: Vec<Vec<i32>>,
    /// Usages held by array fields in the last report, per report.
    last_array: Vec<Vec<u32>>,
    raw: bool,
}

impl HidDecoder {
    pub fn new(desc: ReportDescriptor, raw: bool) -> Self {
        let last = desc
            .reports
            .iter()
            .map(|r| vec![0; r.fields.iter().filter(|f| f.variable).map(|f| f.count as usize).sum()])
            .collect();
        let last_array = vec![Vec::new(); desc.reports.len()];
        HidDecoder { desc, last, last_array, raw }
    }

    /// Decodes one input report (report id first when the device uses ids).
    pub fn report(&mut self, data: &[u8], out: &mut impl FnMut(Event)) {
        // A zero-length transfer is legal USB (seen from usbredirhost when
        // the gadget stops): no report, nothing changed.
        if data.is_empty() {
            return;
        }
        if self.raw {
            out(Event::HidReport(data.to_vec()));
        }
        let (id, body) = match (self.desc.uses_ids, data.split_first()) {
            (true, Some((id, b))) => (*id, b),
            _ => (0, data),
        };
        let Some(idx) = self.desc.reports.iter().position(|r| r.id == id) else {
            return out(Event::Error(format!("HID report id {id} not in descriptor")));
        };
        let r = &self.desc.reports[idx];
        if (body.len() as u64) * 8 < u64::from(r.bits) {
            return out(Event::Error(format!(
                "HID report {id} has {} bytes, descriptor needs {} bits",
                body.len(),
                r.bits
            )));
        }
        let last = &mut self.last[idx];
        let mut slot = 0usize;
        let mut held = Vec::new();
        for f in &r.fields {
            let signed = f.logical_min < 0;
            for k in 0..f.count {
                let Some(raw) = bits(body, f.bit_offset + k * f.bit_size, f.bit_size) else {
                    break;
                };
                let v = extend(raw, f.bit_size, signed);
                if f.variable {
                    if let Some(prev) = last.get_mut(slot) {
                        if *prev != v && !f.constant {
                            let u = f.usages.get(k as usize).or(f.usages.last()).copied().unwrap_or(0);
                            out(Event::Hid { page: (u >> 16) as u16, usage: u as u16, value: v });
                        }
                        *prev = v;
                    }
                    slot += 1;
                } else if !f.constant && v >= f.logical_min && v <= f.logical_max {
                    let index = v.wrapping_sub(f.logical_min) as usize;
                    if let Some(&u) = f.usages.get(index) {
                        // Usage 0 in an array means "nothing pressed".
                        if u & 0xffff != 0 {
                            held.push(u);
                        }
                    }
                }
            }
        }
        let prev = std::mem::take(&mut self.last_array[idx]);
        for &u in prev.iter().filter(|u| !held.contains(u)) {
            out(Event::Hid { page: (u >> 16) as u16, usage: u as u16, value: 0 });
        }
        for &u in held.iter().filter(|u| !prev.contains(u)) {
            out(Event::Hid { page: (u >> 16) as u16, usage: u as u16, value: 1 });
        }
        self.last_array[idx] = held;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A gamepad-ish descriptor without report ids: 8 buttons, X/Y signed bytes.
    const PAD: &[u8] = &[
        0x05, 0x01, 0x09, 0x05, 0xa1, 0x01, // Generic Desktop, Game Pad, Collection
        0x05, 0x09, 0x19, 0x01, 0x29, 0x08, 0x15, 0x00, 0x25, 0x01, 0x75, 0x01, 0x95, 0x08, 0x81,
        0x02, // 8 buttons
        0x05, 0x01, 0x09, 0x30, 0x09, 0x31, 0x15, 0x81, 0x25, 0x7f, 0x75, 0x08, 0x95, 0x02, 0x81,
        0x06, // X, Y relative signed
        0xc0,
    ];

    /// Two reports with ids: id 1 a slider (16-bit), id 2 a keyboard-style array.
    const WITH_IDS: &[u8] = &[
        0x05, 0x0c, 0x09, 0x01, 0xa1, 0x01, 0x85, 0x01, 0x05, 0x02, 0x09, 0xbb, 0x15, 0x00, 0x26, 0xff, 0x03, 0x75,
        0x10, 0x95, 0x01, 0x81, 0x02, // id 1: throttle 0..1023, 16 bits
        0x85, 0x02, 0x05, 0x07, 0x19, 0x00, 0x29, 0x65, 0x15, 0x00, 0x25, 0x65, 0x75, 0x08, 0x95, 0x02, 0x81,
        0x00, // id 2: 2-key array of keyboard usages
        0xc0,
    ];

    fn run(d: &mut HidDecoder, r: &[u8]) -> Vec<Event> {
        let mut v = Vec::new();
        d.report(r, &mut |e| v.push(e));
        v
    }

    fn hid(page: u16, usage: u16, value: i32) -> Event {
        Event::Hid { page, usage, value }
    }

    #[test]
    fn report_without_ids_gives_changes_only() {
        let desc = ReportDescriptor::parse(PAD).unwrap();
        assert!(!desc.uses_ids);
        assert_eq!(desc.reports[0].bits, 24);
        let mut d = HidDecoder::new(desc, false);
        assert_eq!(
            run(&mut d, &[0b0000_0101, 0xff, 3]),
            vec![hid(9, 1, 1), hid(9, 3, 1), hid(1, 0x30, -1), hid(1, 0x31, 3),]
        );
        assert_eq!(run(&mut d, &[0b0000_0100, 0xff, 3]), vec![hid(9, 1, 0)]);
        assert!(run(&mut d, &[0b0000_0100, 0xff, 3]).is_empty());
        // Too short for the layout: an error, not a panic.
        assert!(matches!(&run(&mut d, &[1])[..], [Event::Error(_)]));
    }

    #[test]
    fn reports_with_ids_and_arrays() {
        let desc = ReportDescriptor::parse(WITH_IDS).unwrap();
        assert!(desc.uses_ids);
        assert_eq!(desc.report(1).unwrap().bits, 16);
        assert_eq!(desc.report(2).unwrap().bits, 16);
        let mut d = HidDecoder::new(desc, true);
        let got = run(&mut d, &[1, 0x00, 0x02]);
        assert_eq!(got, vec![Event::HidReport(vec![1, 0, 2]), hid(2, 0xbb, 512)]);
        let got = run(&mut d, &[2, 0x04, 0x05]);
        assert_eq!(got[1..], [hid(7, 4, 1), hid(7, 5, 1)]);
        let got = run(&mut d, &[2, 0x05, 0x00]);
        assert_eq!(got[1..], [hid(7, 4, 0)]);
        assert!(matches!(&run(&mut d, &[9, 0, 0])[1..], [Event::Error(t)] if t.contains("id 9")));
        // Zero-length transfers are not reports.
        assert!(run(&mut d, &[]).is_empty());
    }

    #[test]
    fn malformed_descriptors_are_errors() {
        assert_eq!(ReportDescriptor::parse(&[0x05]), Err(HidError::Truncated { at: 0 }));
        assert_eq!(ReportDescriptor::parse(&[0xfe, 10, 0]), Err(HidError::Truncated { at: 3 }));
        assert_eq!(ReportDescriptor::parse(&[0x75, 0x00, 0x95, 1, 0x81, 2]), Err(HidError::BadReportSize(0)));
        assert_eq!(ReportDescriptor::parse(&[0x75, 40, 0x95, 1, 0x81, 2]), Err(HidError::BadReportSize(40)));
        assert_eq!(ReportDescriptor::parse(&[0xb4]), Err(HidError::StackUnderflow));
        assert_eq!(ReportDescriptor::parse(&[0xa4; 17]), Err(HidError::StackOverflow));
        // A count that would make a 2^32-bit report.
        let huge = [0x75, 32, 0x97, 0xff, 0xff, 0xff, 0x7f, 0x81, 0x02];
        assert_eq!(ReportDescriptor::parse(&huge), Err(HidError::ReportTooLong));
        // Many variable fields in a small report (bits ok, field count not).
        let many = [0x75, 1, 0x96, 0x00, 0x20, 0x81, 0x02, 0x81, 0x02];
        assert_eq!(ReportDescriptor::parse(&many), Err(HidError::TooManyFields));
        // Long items are skipped whole.
        let long = [0xfe, 2, 0x10, 0xaa, 0xbb, 0x75, 8, 0x95, 1, 0x81, 2];
        assert_eq!(ReportDescriptor::parse(&long).unwrap().reports[0].bits, 8);
    }

    #[test]
    fn bit_extraction_and_sign() {
        assert_eq!(bits(&[0b1011_0000, 0b0000_0001], 4, 5), Some(0b11011));
        assert_eq!(bits(&[0xff], 4, 8), None);
        assert_eq!(extend(0b11011, 5, true), -5);
        assert_eq!(extend(0xffff_ffff, 32, true), -1);
    }
}
