// SPDX-License-Identifier: GPL-2.0

//! Attributes of a completed translation: permissions, memory type and
//! shareability.

/// What one class of accesses (privileged or unprivileged) may do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Permissions {
    /// Data reads are permitted.
    pub read: bool,
    /// Data writes are permitted.
    pub write: bool,
    /// Instruction fetches are permitted.
    pub exec: bool,
}

/// Kind of Device memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceKind {
    /// Device-nGnRnE.
    NGnRnE,
    /// Device-nGnRE.
    NGnRE,
    /// Device-nGRE.
    NGRE,
    /// Device-GRE.
    Gre,
}

/// Cacheability of one cache level (inner or outer) of Normal memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cacheability {
    /// Non-cacheable.
    NonCacheable,
    /// Write-through.
    WriteThrough {
        /// Transient allocation hint.
        transient: bool,
        /// Read-allocate hint.
        read_alloc: bool,
        /// Write-allocate hint.
        write_alloc: bool,
    },
    /// Write-back.
    WriteBack {
        /// Transient allocation hint.
        transient: bool,
        /// Read-allocate hint.
        read_alloc: bool,
        /// Write-allocate hint.
        write_alloc: bool,
    },
}

impl Cacheability {
    /// Decodes one four-bit half of a Normal memory MAIR attribute; `None`
    /// for `0b0000`, which has no Normal meaning on its own.
    const fn decode(nibble: u8) -> Option<Self> {
        let read_alloc = nibble & 0b10 != 0;
        let write_alloc = nibble & 0b01 != 0;
        match nibble & 0xf {
            0b0100 => Some(Self::NonCacheable),
            0b0000 => None,
            n if n & 0b1100 == 0b0000 => Some(Self::WriteThrough {
                transient: true,
                read_alloc,
                write_alloc,
            }),
            n if n & 0b1100 == 0b0100 => Some(Self::WriteBack {
                transient: true,
                read_alloc,
                write_alloc,
            }),
            n if n & 0b1100 == 0b1000 => Some(Self::WriteThrough {
                transient: false,
                read_alloc,
                write_alloc,
            }),
            _ => Some(Self::WriteBack {
                transient: false,
                read_alloc,
                write_alloc,
            }),
        }
    }
}

/// Memory type selected by a MAIR attribute byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemType {
    /// Device memory.
    Device(DeviceKind),
    /// Normal memory with its inner and outer cacheability.
    Normal {
        /// Inner cacheability.
        inner: Cacheability,
        /// Outer cacheability.
        outer: Cacheability,
    },
    /// An encoding the architecture leaves UNPREDICTABLE; the raw byte is in
    /// [`Attrs::mair_attr`].
    Unpredictable,
}

impl MemType {
    /// Decodes one MAIR attribute byte.
    ///
    /// Besides the base encodings this recognises the FEAT_XS forms
    /// `0x40` (Normal Non-cacheable) and `0xa0` (Normal Write-through
    /// read-allocate) and the FEAT_MTE2 tagged form `0xf0` (Normal
    /// Write-back read/write-allocate), all reported as the plain Normal
    /// type they stand for.
    pub const fn from_mair_attr(attr: u8) -> Self {
        let outer = attr >> 4;
        let inner = attr & 0xf;
        if outer == 0 {
            return match inner {
                0b0000 => Self::Device(DeviceKind::NGnRnE),
                0b0100 => Self::Device(DeviceKind::NGnRE),
                0b1000 => Self::Device(DeviceKind::NGRE),
                0b1100 => Self::Device(DeviceKind::Gre),
                _ => Self::Unpredictable,
            };
        }
        match attr {
            0x40 => {
                return Self::Normal {
                    inner: Cacheability::NonCacheable,
                    outer: Cacheability::NonCacheable,
                }
            }
            0xa0 => {
                let wt = Cacheability::WriteThrough {
                    transient: false,
                    read_alloc: true,
                    write_alloc: false,
                };
                return Self::Normal {
                    inner: wt,
                    outer: wt,
                };
            }
            0xf0 => {
                let wb = Cacheability::WriteBack {
                    transient: false,
                    read_alloc: true,
                    write_alloc: true,
                };
                return Self::Normal {
                    inner: wb,
                    outer: wb,
                };
            }
            _ => {}
        }
        match (Cacheability::decode(inner), Cacheability::decode(outer)) {
            (Some(inner), Some(outer)) => Self::Normal { inner, outer },
            _ => Self::Unpredictable,
        }
    }

    /// Whether this is Normal memory that is Non-cacheable at both levels.
    pub const fn is_normal_non_cacheable(&self) -> bool {
        matches!(
            self,
            Self::Normal {
                inner: Cacheability::NonCacheable,
                outer: Cacheability::NonCacheable,
            }
        )
    }
}

/// Shareability field of a leaf descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shareability {
    /// `0b00`: non-shareable.
    Non,
    /// `0b01`: reserved (CONSTRAINED UNPREDICTABLE).
    Reserved,
    /// `0b10`: outer shareable.
    Outer,
    /// `0b11`: inner shareable.
    Inner,
}

impl Shareability {
    /// Decodes the two-bit `SH` field (higher bits are ignored).
    pub const fn from_bits(sh: u64) -> Self {
        match sh & 0b11 {
            0b00 => Self::Non,
            0b01 => Self::Reserved,
            0b10 => Self::Outer,
            _ => Self::Inner,
        }
    }
}

/// Attributes of a leaf, as the walk found (and possibly updated) it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Attrs {
    /// What privileged accesses may do, after hierarchical limits, WXN and
    /// PAN.
    pub privileged: Permissions,
    /// What unprivileged accesses may do, after hierarchical limits and WXN.
    pub unprivileged: Permissions,
    /// `AttrIndx`: which MAIR byte applies.
    pub attr_indx: u8,
    /// The MAIR byte selected by `attr_indx`.
    pub mair_attr: u8,
    /// The memory type that byte encodes.
    pub mem: MemType,
    /// Shareability as written in the descriptor.
    pub sh: Shareability,
    /// Not-global: the translation belongs to the context's ASID only.
    pub ng: bool,
    /// Access flag (after any hardware update).
    pub af: bool,
    /// Dirty bit modifier.
    pub dbm: bool,
    /// Hardware dirty state: `DBM` set and `AP[2]` clear, i.e. the leaf is
    /// managed by HTTU and has been made writable (written to).
    pub dirty: bool,
    /// Contiguous hint.
    pub contiguous: bool,
    /// Guarded page bit.
    pub gp: bool,
}

impl Attrs {
    /// Permissions for privileged (`true`) or unprivileged accesses.
    pub const fn perms(&self, privileged: bool) -> Permissions {
        if privileged {
            self.privileged
        } else {
            self.unprivileged
        }
    }

    /// Shareability that actually applies: Device memory and Normal memory
    /// that is Non-cacheable at both levels are always outer shareable.
    pub const fn effective_sh(&self) -> Shareability {
        match self.mem {
            MemType::Device(_) => Shareability::Outer,
            _ if self.mem.is_normal_non_cacheable() => Shareability::Outer,
            _ => self.sh,
        }
    }
}
