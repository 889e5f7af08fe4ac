// SPDX-License-Identifier: GPL-2.0

//! PRI queue entries (IHI 0070 §8.1, "PRI queue record").
//!
//! A PRI queue entry is 16 bytes, held as two little-endian 64-bit words
//! `[u64; 2]`. It carries one PCIe Page Request Message:
//!
//! * StreamID, word 0 bits `[31:0]`;
//! * SubstreamID, word 0 bits `[51:32]`, valid when SSV (word 0 bit 63) is 1;
//! * Priv (bit 58), Exec (bit 59), Read (bit 60), Write (bit 61) of word 0:
//!   the requested permissions;
//! * Last, word 0 bit 62: last request of its page request group;
//! * PRG index (PRGI), word 1 bits `[8:0]`;
//! * Page address, word 1 bits `[63:12]`.
//!
//! Every bit pattern decodes; reserved bits are ignored.

use core::fmt;

use crate::hw::bits::{genmask, get, set};

/// Number of 64-bit words in a PRI queue entry.
pub const PRIQ_DWORDS: usize = 2;

/// A decoded PRI queue entry (a PCIe page request).
///
/// # Invariants
///
/// As produced by [`PriRequest::decode`]: `ssid < 2^20`, `prgi < 2^9` and
/// `addr` has its low 12 bits clear. [`PriRequest::encode`] truncates other
/// values to their fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PriRequest {
    /// StreamID, word 0 bits `[31:0]`.
    pub sid: u32,
    /// SubstreamID (PASID), word 0 bits `[51:32]`, present when SSV (word 0
    /// bit 63) is 1.
    pub ssid: Option<u32>,
    /// Priv, word 0 bit 58: privileged access requested.
    pub privileged: bool,
    /// Exec, word 0 bit 59: execute permission requested.
    pub exec: bool,
    /// Read, word 0 bit 60: read permission requested.
    pub read: bool,
    /// Write, word 0 bit 61: write permission requested.
    pub write: bool,
    /// Last, word 0 bit 62: the group is complete and needs a
    /// `CMD_PRI_RESP`.
    pub last: bool,
    /// Page request group index, word 1 bits `[8:0]`.
    pub prgi: u16,
    /// Page address, word 1 bits `[63:12]`.
    pub addr: u64,
}

impl PriRequest {
    /// Decodes an entry. Never fails and never panics.
    pub fn decode(w: [u64; 2]) -> PriRequest {
        let b = |n: u32| get(w[0], n, n) != 0;
        PriRequest {
            sid: get(w[0], 31, 0) as u32,
            ssid: if b(63) {
                Some(get(w[0], 51, 32) as u32)
            } else {
                None
            },
            privileged: b(58),
            exec: b(59),
            read: b(60),
            write: b(61),
            last: b(62),
            prgi: get(w[1], 8, 0) as u16,
            addr: w[1] & genmask(63, 12),
        }
    }

    /// Encodes an entry, truncating each value to its field.
    pub fn encode(&self) -> [u64; 2] {
        let mut w0 = u64::from(self.sid);
        if let Some(s) = self.ssid {
            w0 = set(set(w0, 51, 32, u64::from(s)), 63, 63, 1);
        }
        for (n, v) in [
            (58, self.privileged),
            (59, self.exec),
            (60, self.read),
            (61, self.write),
            (62, self.last),
        ] {
            w0 = set(w0, n, n, u64::from(v));
        }
        let w1 = set(self.addr & genmask(63, 12), 8, 0, u64::from(self.prgi));
        [w0, w1]
    }
}

impl fmt::Display for PriRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PRI sid {:#x}", self.sid)?;
        if let Some(s) = self.ssid {
            write!(f, " ssid {s:#x}")?;
        }
        let flag = |b: bool, c: char| if b { c } else { '-' };
        write!(
            f,
            " prgi {}{} {}{}{} {} iova {:#x}",
            self.prgi,
            if self.last { " last" } else { "" },
            flag(self.read, 'r'),
            flag(self.write, 'w'),
            flag(self.exec, 'x'),
            if self.privileged { "priv" } else { "unpriv" },
            self.addr
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn display() {
        let r = PriRequest {
            sid: 0x10,
            ssid: Some(3),
            read: true,
            write: true,
            last: true,
            prgi: 5,
            addr: 0x1234000,
            ..Default::default()
        };
        assert_eq!(
            r.to_string(),
            "PRI sid 0x10 ssid 0x3 prgi 5 last rw- unpriv iova 0x1234000"
        );
    }
}
