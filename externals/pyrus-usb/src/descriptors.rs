//! Standard USB descriptors as fetched over a control pipe: device,
//! configuration (with its interfaces, endpoints and HID descriptors) and
//! string descriptors. Bad lengths end the walk with an error rather than a
//! panic; nothing here allocates more than the input's size.
#![forbid(unsafe_code)]

use std::fmt;

pub const DT_DEVICE: u8 = 1;
pub const DT_CONFIG: u8 = 2;
pub const DT_STRING: u8 = 3;
pub const DT_INTERFACE: u8 = 4;
pub const DT_ENDPOINT: u8 = 5;
pub const DT_HID: u8 = 0x21;
pub const DT_HID_REPORT: u8 = 0x22;

pub const CLASS_AUDIO: u8 = 1;
pub const SUBCLASS_MIDISTREAMING: u8 = 3;
pub const CLASS_HID: u8 = 3;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DescriptorError(pub String);

impl fmt::Display for DescriptorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DescriptorError {}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceDescriptor {
    pub vendor_id: u16,
    pub product_id: u16,
    pub manufacturer_index: u8,
    pub product_index: u8,
}

impl DeviceDescriptor {
    pub fn parse(d: &[u8]) -> Result<Self, DescriptorError> {
        if d.len() < 18 || d[1] != DT_DEVICE {
            return Err(DescriptorError(format!("device descriptor of {} bytes is malformed", d.len())));
        }
        Ok(DeviceDescriptor {
            vendor_id: u16::from_le_bytes([d[8], d[9]]),
            product_id: u16::from_le_bytes([d[10], d[11]]),
            manufacturer_index: d[14],
            product_index: d[15],
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub address: u8,
    /// USB transfer type (0 control, 1 iso, 2 bulk, 3 interrupt).
    pub transfer_type: u8,
    pub max_packet_size: u16,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    pub number: u8,
    pub class: u8,
    pub subclass: u8,
    pub endpoints: Vec<Endpoint>,
    /// wDescriptorLength of the HID report descriptor, for HID interfaces.
    pub hid_report_len: Option<u16>,
}

impl Interface {
    pub fn is_midi(&self) -> bool {
        self.class == CLASS_AUDIO && self.subclass == SUBCLASS_MIDISTREAMING
    }
    pub fn is_hid(&self) -> bool {
        self.class == CLASS_HID
    }
}

/// The alternate-setting-0 interfaces of a configuration descriptor.
pub fn parse_config(d: &[u8]) -> Result<Vec<Interface>, DescriptorError> {
    if d.len() < 9 || d[1] != DT_CONFIG {
        return Err(DescriptorError("configuration descriptor malformed".into()));
    }
    let mut out: Vec<Interface> = Vec::new();
    let mut in_alt0 = false;
    let mut i = 0usize;
    while i < d.len() {
        let len = usize::from(d[i]);
        let Some(desc) = d.get(i..i + len).filter(|_| len >= 2) else {
            return Err(DescriptorError(format!("descriptor at byte {i} has bad length {len}")));
        };
        match desc[1] {
            DT_INTERFACE if len >= 9 => {
                in_alt0 = desc[3] == 0;
                if in_alt0 {
                    out.push(Interface {
                        number: desc[2],
                        class: desc[5],
                        subclass: desc[6],
                        endpoints: Vec::new(),
                        hid_report_len: None,
                    });
                }
            }
            DT_ENDPOINT if len >= 7 && in_alt0 => {
                if let Some(itf) = out.last_mut() {
                    itf.endpoints.push(Endpoint {
                        address: desc[2],
                        transfer_type: desc[3] & 3,
                        max_packet_size: u16::from_le_bytes([desc[4], desc[5]]) & 0x7ff,
                    });
                }
            }
            DT_HID if len >= 9 && in_alt0 => {
                // The first class descriptor listed is the report descriptor.
                if let Some(itf) = out.last_mut() {
                    if desc[6] == DT_HID_REPORT {
                        itf.hid_report_len = Some(u16::from_le_bytes([desc[7], desc[8]]));
                    }
                }
            }
            _ => {}
        }
        i += len;
    }
    Ok(out)
}

/// Decodes a UTF-16LE string descriptor (lossy, as device strings often are).
pub fn parse_string(d: &[u8]) -> Option<String> {
    if d.len() < 2 || d[1] != DT_STRING {
        return None;
    }
    let end = usize::from(d[0]).min(d.len());
    let units: Vec<u16> = d.get(2..end)?.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    Some(String::from_utf16_lossy(&units).trim().to_owned())
}

/// The first language id of string descriptor 0.
pub fn parse_langid(d: &[u8]) -> Option<u16> {
    if d.len() >= 4 && d[1] == DT_STRING {
        Some(u16::from_le_bytes([d[2], d[3]]))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_walk_finds_midi_and_hid() {
        let cfg = crate::virtual_device::config_descriptor();
        let itfs = parse_config(&cfg).unwrap();
        assert!(itfs.iter().any(|i| i.is_midi() && i.endpoints.len() == 2));
        let hid = itfs.iter().find(|i| i.is_hid()).unwrap();
        assert_eq!(usize::from(hid.hid_report_len.unwrap()), crate::virtual_device::HID_REPORT_DESCRIPTOR.len());
        assert_eq!(hid.endpoints[0].transfer_type, 3);
    }

    #[test]
    fn bad_lengths_are_errors() {
        assert!(parse_config(&[9, 2, 9, 0, 1, 1, 0, 0x80, 50, 0, 2]).is_err());
        assert!(parse_config(&[9, 2, 9, 0, 1, 1, 0, 0x80, 50, 20, 4]).is_err());
        assert!(parse_config(&[2, 2]).is_err());
        assert!(DeviceDescriptor::parse(&[18, 1, 0]).is_err());
        assert_eq!(parse_string(&[6, 3, b'h', 0, b'i', 0]).as_deref(), Some("hi"));
        assert_eq!(parse_string(&[200, 3, b'h', 0, b'i']).as_deref(), Some("h"));
        assert_eq!(parse_string(&[1]), None);
    }
}
