// SPDX-License-Identifier: GPL-2.0

//! Bit-field helpers shared by the register, entry, command and event code.
//!
//! Fields are named by their inclusive bit range `[hi:lo]`, exactly as the
//! specification's field tables write them.
//!
//! Three layers are provided:
//!
//! - free functions ([`genmask`], [`get`], [`set`], [`fits`]) for one-off
//!   use;
//! - [`Field`], a bit range of one 64-bit word as a value, and [`QwField`], a
//!   bit range within one 64-bit word (*qword*) of a multi-qword structure
//!   such as a Stream Table Entry or Context Descriptor;
//! - two declarative macros built on them: `register!` declares a
//!   typed MMIO register with named field accessors, and
//!   `entry_fields!` adds named field accessors to a
//!   multi-qword structure.
//!
//! Setters of numeric and address fields are checked: a value that does not
//! fit (or an address with bits outside the field) is reported as a
//! [`FieldError`] instead of being silently truncated.

/// Mask with bits `hi..=lo` set (`GENMASK_ULL(hi, lo)` in C).
///
/// `hi` must be at least `lo` and below 64; this is checked at compile time
/// when used in constant context.
pub const fn genmask(hi: u32, lo: u32) -> u64 {
    assert!(hi < 64 && lo <= hi);
    (u64::MAX >> (63 - hi)) & (u64::MAX << lo)
}

/// Extracts bits `hi..=lo` of `word`, shifted down to bit 0.
pub const fn get(word: u64, hi: u32, lo: u32) -> u64 {
    (word & genmask(hi, lo)) >> lo
}

/// Returns `word` with bits `hi..=lo` replaced by `value`.
///
/// Bits of `value` that do not fit the field are discarded, so a caller
/// cannot corrupt a neighbouring field.
pub const fn set(word: u64, hi: u32, lo: u32, value: u64) -> u64 {
    let mask = genmask(hi, lo);
    (word & !mask) | ((value << lo) & mask)
}

/// Whether `value` fits in a field of bits `hi..=lo` without truncation.
pub const fn fits(value: u64, hi: u32, lo: u32) -> bool {
    value <= genmask(hi - lo, 0)
}

/// A value rejected by a checked field setter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The specification's name of the field.
    pub field: &'static str,
    /// The rejected value (or address).
    pub value: u64,
}

/// The bit range `[hi:lo]` of a 64-bit word.
///
/// # Invariants
///
/// `lo <= hi < 64`, enforced by [`Field::new`] (which is meant for constant
/// context, where a violation is a compile-time error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    hi: u32,
    lo: u32,
}

impl Field {
    /// The field `[hi:lo]`.
    ///
    /// # Panics
    ///
    /// If `hi < lo` or `hi >= 64`. Field positions are constants of the
    /// architecture, so this is used in constant context, where the panic
    /// becomes a build error.
    pub const fn new(hi: u32, lo: u32) -> Self {
        assert!(hi < 64 && lo <= hi);
        Self { hi, lo }
    }

    /// The single-bit field `[n]`.
    pub const fn bit(n: u32) -> Self {
        Self::new(n, n)
    }

    /// Most significant bit of the field.
    pub const fn hi(self) -> u32 {
        self.hi
    }

    /// Least significant bit of the field.
    pub const fn lo(self) -> u32 {
        self.lo
    }

    /// Number of bits in the field.
    pub const fn width(self) -> u32 {
        // Cannot overflow: lo <= hi < 64 by the type invariant.
        self.hi - self.lo + 1
    }

    /// The field's bits within the word.
    pub const fn mask(self) -> u64 {
        (u64::MAX >> (63 - self.hi)) & (u64::MAX << self.lo)
    }

    /// Largest value the field can hold.
    pub const fn max(self) -> u64 {
        self.mask() >> self.lo
    }

    /// The field's value, shifted down to bit 0.
    pub const fn get(self, word: u64) -> u64 {
        (word & self.mask()) >> self.lo
    }

    /// Whether `value` fits in the field.
    pub const fn fits(self, value: u64) -> bool {
        value <= self.max()
    }

    /// `word` with the field replaced by `value`, truncated to the field.
    pub const fn set(self, word: u64, value: u64) -> u64 {
        (word & !self.mask()) | ((value << self.lo) & self.mask())
    }

    /// `word` with the field replaced by `value`, or `None` if `value` does
    /// not fit.
    pub const fn try_set(self, word: u64, value: u64) -> Option<u64> {
        if self.fits(value) {
            Some(self.set(word, value))
        } else {
            None
        }
    }

    /// The field read in place: the word masked to the field, not shifted.
    ///
    /// This is how address fields such as `S1ContextPtr[51:6]` are read: the
    /// field holds address bits `[hi:lo]` at their own positions.
    pub const fn get_addr(self, word: u64) -> u64 {
        word & self.mask()
    }

    /// Whether `addr` can be stored in place in the field: it has no bits
    /// outside `[hi:lo]` (it is aligned to `1 << lo` and below `1 << (hi+1)`).
    pub const fn addr_fits(self, addr: u64) -> bool {
        addr & !self.mask() == 0
    }

    /// `word` with the field replaced in place by the address `addr`, or
    /// `None` if `addr` has bits outside the field.
    pub const fn try_set_addr(self, word: u64, addr: u64) -> Option<u64> {
        if self.addr_fits(addr) {
            Some((word & !self.mask()) | addr)
        } else {
            None
        }
    }
}

/// Number of 64-bit words in a Stream Table Entry or Context Descriptor.
pub const ENTRY_QWORDS: usize = 8;

/// Formats the qwords of an STE or CD as `name[q0 q1 ...]`, each qword in
/// 16 hex digits (the `Debug` form of both).
pub(crate) fn fmt_qwords(
    f: &mut core::fmt::Formatter<'_>,
    name: &str,
    qwords: &[u64],
) -> core::fmt::Result {
    write!(f, "{name}[")?;
    for (i, q) in qwords.iter().enumerate() {
        if i != 0 {
            write!(f, " ")?;
        }
        write!(f, "{q:016x}")?;
    }
    write!(f, "]")
}

/// A bit range within one 64-bit word of an [`ENTRY_QWORDS`]-word structure.
///
/// The specification numbers STE and CD fields by absolute bit; this type
/// stores the same position as qword index plus bit range within the qword,
/// e.g. `STE.S1DSS` (bits `[65:64]`) is qword 1, `[1:0]`.
///
/// # Invariants
///
/// `qword < ENTRY_QWORDS`, and the [`Field`] invariants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QwField {
    qword: usize,
    field: Field,
}

impl QwField {
    /// Bits `[hi:lo]` of qword `qword`.
    ///
    /// # Panics
    ///
    /// If the position is invalid; meant for constant context, where this is
    /// a build error.
    pub const fn new(qword: usize, hi: u32, lo: u32) -> Self {
        assert!(qword < ENTRY_QWORDS);
        Self {
            qword,
            field: Field::new(hi, lo),
        }
    }

    /// Index of the qword holding the field.
    pub const fn qword(self) -> usize {
        self.qword
    }

    /// The field within its qword.
    pub const fn field(self) -> Field {
        self.field
    }

    /// The field's bits as a full-structure mask (zero in other qwords).
    pub const fn mask(self) -> [u64; ENTRY_QWORDS] {
        let mut m = [0; ENTRY_QWORDS];
        m[self.qword] = self.field.mask();
        m
    }

    /// The absolute bit position of the field's least significant bit, as
    /// the specification numbers it (`64 * qword + lo`).
    pub const fn abs_lo(self) -> u32 {
        // qword < 8 and lo < 64: at most 511.
        self.qword as u32 * 64 + self.field.lo()
    }

    /// The absolute bit position of the field's most significant bit.
    pub const fn abs_hi(self) -> u32 {
        self.qword as u32 * 64 + self.field.hi()
    }

    /// Reads the field from `words`, shifted down to bit 0.
    pub const fn get(self, words: &[u64; ENTRY_QWORDS]) -> u64 {
        self.field.get(words[self.qword])
    }

    /// Reads the field in place (address fields).
    pub const fn get_addr(self, words: &[u64; ENTRY_QWORDS]) -> u64 {
        self.field.get_addr(words[self.qword])
    }

    /// Writes `value` to the field, truncating it to the field width.
    pub fn set(self, words: &mut [u64; ENTRY_QWORDS], value: u64) {
        words[self.qword] = self.field.set(words[self.qword], value);
    }

    /// Writes `value` to the field if it fits.
    pub fn try_set(self, words: &mut [u64; ENTRY_QWORDS], value: u64) -> Option<()> {
        words[self.qword] = self.field.try_set(words[self.qword], value)?;
        Some(())
    }

    /// Writes the address `addr` in place if it has no bits outside the
    /// field.
    pub fn try_set_addr(self, words: &mut [u64; ENTRY_QWORDS], addr: u64) -> Option<()> {
        words[self.qword] = self.field.try_set_addr(words[self.qword], addr)?;
        Some(())
    }
}

/// Declares a typed MMIO register: a `Copy` newtype over `u32` or `u64` with
/// an optional `OFFSET`, a `Field` constant per field, `FIELDS_MASK` (all
/// the fields' bits) and typed accessors.
///
/// ```text
/// register! {
///     /// SMMU_CR2.
///     pub struct Cr2(u32) @ offsets::CR2 {
///         /// E2H, bit `[0]`.
///         E2H: `[0:0]` bool => e2h, with_e2h;
///         /// A numeric field.
///         N: `[5:1]` num => n, with_n;
///         /// An address held in place.
///         ADDR: `[51:6]` addr => addr, with_addr;
///     }
/// }
/// ```
///
/// Field kinds:
/// - `bool`: getter returns `bool`, `with_*` takes `bool` and returns `Self`;
/// - `num`: getter returns the storage type, `with_*` returns
///   `Result<Self, FieldError>` and rejects values that do not fit;
/// - `addr`: like `num`, but the value is an address stored in place (not
///   shifted) and must have no bits outside the field.
macro_rules! register {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident($t:ty) $(@ $off:path)? {
            $(
                $(#[$fmeta:meta])*
                $c:ident : [$hi:literal : $lo:literal] $kind:ident => $get:ident, $set:ident;
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Default, PartialEq, Eq)]
        #[repr(transparent)]
        $vis struct $name($t);

        impl $name {
            $(
                /// Byte offset of the register from the SMMU's base address.
                $vis const OFFSET: usize = $off;
            )?

            /// The register with the raw value `raw`.
            $vis const fn from_raw(raw: $t) -> Self {
                Self(raw)
            }

            /// The raw register value.
            $vis const fn raw(self) -> $t {
                self.0
            }

            /// The bits of all the named fields together.
            // The fields lie within the storage type, so the narrowing cast
            // drops only zero bits.
            $vis const FIELDS_MASK: $t = (0u64 $(| Self::$c.mask())*) as $t;

            $(
                $(#[$fmeta])*
                $vis const $c: $crate::hw::bits::Field = $crate::hw::bits::Field::new($hi, $lo);
                $crate::hw::bits::register!(@acc $vis $t, $kind, $c, $get, $set);
            )*
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                let mut d = f.debug_struct(stringify!($name));
                $( d.field(stringify!($c), &Self::$c.get(self.0 as u64)); )*
                d.finish()
            }
        }
    };
    (@acc $vis:vis $t:ty, bool, $c:ident, $get:ident, $set:ident) => {
        #[doc = concat!("Whether `", stringify!($c), "` is set.")]
        $vis const fn $get(self) -> bool {
            Self::$c.get(self.0 as u64) != 0
        }

        #[doc = concat!("The register with `", stringify!($c), "` set to `value`.")]
        #[must_use]
        $vis const fn $set(self, value: bool) -> Self {
            // The field lies within the storage type, so the narrowing cast
            // drops only zero bits.
            Self(Self::$c.set(self.0 as u64, value as u64) as $t)
        }
    };
    (@acc $vis:vis $t:ty, num, $c:ident, $get:ident, $set:ident) => {
        #[doc = concat!("The value of `", stringify!($c), "`.")]
        $vis const fn $get(self) -> $t {
            Self::$c.get(self.0 as u64) as $t
        }

        #[doc = concat!("The register with `", stringify!($c), "` set to `value`, ")]
        #[doc = "or an error if `value` does not fit the field."]
        $vis const fn $set(self, value: $t) -> Result<Self, $crate::hw::bits::FieldError> {
            match Self::$c.try_set(self.0 as u64, value as u64) {
                Some(raw) => Ok(Self(raw as $t)),
                None => Err($crate::hw::bits::FieldError {
                    field: stringify!($c),
                    value: value as u64,
                }),
            }
        }
    };
    (@acc $vis:vis $t:ty, addr, $c:ident, $get:ident, $set:ident) => {
        #[doc = concat!("The address held in place in `", stringify!($c), "`.")]
        $vis const fn $get(self) -> $t {
            Self::$c.get_addr(self.0 as u64) as $t
        }

        #[doc = concat!("The register with the address `", stringify!($c), "` set to `addr`, ")]
        #[doc = "or an error if `addr` has bits outside the field (misaligned or too large)."]
        $vis const fn $set(self, addr: $t) -> Result<Self, $crate::hw::bits::FieldError> {
            match Self::$c.try_set_addr(self.0 as u64, addr as u64) {
                Some(raw) => Ok(Self(raw as $t)),
                None => Err($crate::hw::bits::FieldError {
                    field: stringify!($c),
                    value: addr as u64,
                }),
            }
        }
    };
}
pub(crate) use register;

/// Adds named fields to a newtype over `[u64; ENTRY_QWORDS]` (an STE or CD):
/// a [`QwField`] constant per field and `&self` getters / `&mut self`
/// setters.
///
/// ```text
/// entry_fields! {
///     impl Ste {
///         /// V, bit `[0]`.
///         V: `0[0:0]` bool => v, set_v;
///         /// S1CDMax, bits `[63:59]`.
///         S1CDMAX: `0[63:59]` num => s1cdmax, set_s1cdmax;
///         /// S1ContextPtr, bits `[51:6]`.
///         S1_CONTEXT_PTR: `0[51:6]` addr => s1_context_ptr, set_s1_context_ptr;
///     }
/// }
/// ```
///
/// Field kinds are as for `register!`; checked setters return
/// `Result<&mut Self, FieldError>` and leave the entry unchanged on error.
macro_rules! entry_fields {
    (
        impl $name:ident {
            $(
                $(#[$fmeta:meta])*
                $c:ident : $q:literal [$hi:literal : $lo:literal] $kind:ident => $get:ident, $set:ident;
            )*
        }
    ) => {
        impl $name {
            $(
                $(#[$fmeta])*
                pub const $c: $crate::hw::bits::QwField = $crate::hw::bits::QwField::new($q, $hi, $lo);
                $crate::hw::bits::entry_fields!(@acc $kind, $c, $get, $set);
            )*

            /// Every field, by its specification name, in the order the
            /// specification lists them; for dumps such as
            /// [`crate::hw::bits::FieldDump`].
            pub const FIELDS: &'static [$crate::hw::bits::NamedField] = &[$(
                $crate::hw::bits::NamedField {
                    name: stringify!($c),
                    field: Self::$c,
                    is_addr: $crate::hw::bits::entry_fields!(@is_addr $kind),
                },
            )*];
        }
    };
    (@is_addr addr) => { true };
    (@is_addr $other:ident) => { false };
    (@acc bool, $c:ident, $get:ident, $set:ident) => {
        #[doc = concat!("Whether `", stringify!($c), "` is set.")]
        pub const fn $get(&self) -> bool {
            Self::$c.get(&self.0) != 0
        }

        #[doc = concat!("Sets or clears `", stringify!($c), "`.")]
        pub fn $set(&mut self, value: bool) -> &mut Self {
            Self::$c.set(&mut self.0, value as u64);
            self
        }
    };
    (@acc num, $c:ident, $get:ident, $set:ident) => {
        #[doc = concat!("The value of `", stringify!($c), "`.")]
        pub const fn $get(&self) -> u64 {
            Self::$c.get(&self.0)
        }

        #[doc = concat!("Sets `", stringify!($c), "` to `value`, or returns an error ")]
        #[doc = "(leaving the entry unchanged) if `value` does not fit the field."]
        pub fn $set(&mut self, value: u64) -> Result<&mut Self, $crate::hw::bits::FieldError> {
            match Self::$c.try_set(&mut self.0, value) {
                Some(()) => Ok(self),
                None => Err($crate::hw::bits::FieldError {
                    field: stringify!($c),
                    value,
                }),
            }
        }
    };
    (@acc addr, $c:ident, $get:ident, $set:ident) => {
        #[doc = concat!("The address held in place in `", stringify!($c), "`.")]
        pub const fn $get(&self) -> u64 {
            Self::$c.get_addr(&self.0)
        }

        #[doc = concat!("Sets the address `", stringify!($c), "` to `addr`, or returns an ")]
        #[doc = "error (leaving the entry unchanged) if `addr` has bits outside the field."]
        pub fn $set(&mut self, addr: u64) -> Result<&mut Self, $crate::hw::bits::FieldError> {
            match Self::$c.try_set_addr(&mut self.0, addr) {
                Some(()) => Ok(self),
                None => Err($crate::hw::bits::FieldError {
                    field: stringify!($c),
                    value: addr,
                }),
            }
        }
    };
}
pub(crate) use entry_fields;

/// A field of a multi-qword entry with its specification name.
#[derive(Clone, Copy, Debug)]
pub struct NamedField {
    /// The specification's name, e.g. `S1ContextPtr` as `S1_CONTEXT_PTR`.
    pub name: &'static str,
    /// Where it lives.
    pub field: QwField,
    /// Whether the field holds an address in place (shown unshifted).
    pub is_addr: bool,
}

/// Formats an entry field by field: `NAME=value` for every non-zero field,
/// or `(all zero)`. Values are hexadecimal; address fields are shown as the
/// address they hold.
pub struct FieldDump<'a> {
    /// The entry's qwords.
    pub words: &'a [u64; ENTRY_QWORDS],
    /// Its field table (`Ste::FIELDS`, `Cd::FIELDS`).
    pub fields: &'static [NamedField],
}

impl core::fmt::Display for FieldDump<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut any = false;
        for nf in self.fields {
            let v = if nf.is_addr {
                nf.field.get_addr(self.words)
            } else {
                nf.field.get(self.words)
            };
            if v != 0 {
                if any {
                    f.write_str(" ")?;
                }
                write!(f, "{}={:#x}", nf.name, v)?;
                any = true;
            }
        }
        if !any {
            f.write_str("(all zero)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genmask_matches_c() {
        assert_eq!(genmask(0, 0), 1);
        assert_eq!(genmask(63, 0), u64::MAX);
        assert_eq!(genmask(63, 63), 1 << 63);
        assert_eq!(genmask(11, 4), 0xff0);
    }

    #[test]
    fn set_get_round_trip_and_isolation() {
        let w = set(u64::MAX, 11, 4, 0);
        assert_eq!(w, !0xff0);
        let w = set(0, 11, 4, 0x1ab);
        assert_eq!(w, 0xab0, "overflowing value must be truncated to the field");
        assert_eq!(get(w, 11, 4), 0xab);
        assert!(fits(0xff, 11, 4));
        assert!(!fits(0x100, 11, 4));
    }

    #[test]
    fn field_matches_free_functions() {
        let f = Field::new(51, 6);
        assert_eq!(f.mask(), genmask(51, 6));
        assert_eq!(f.width(), 46);
        assert_eq!(f.max(), genmask(45, 0));
        assert_eq!(Field::bit(63).mask(), 1 << 63);
        assert_eq!(Field::new(63, 0).max(), u64::MAX);
        assert_eq!(f.try_set(0, 1 << 46), None);
        assert_eq!(f.try_set_addr(0, 0x40), Some(0x40));
        assert_eq!(f.try_set_addr(0, 0x41), None, "misaligned");
        assert_eq!(f.try_set_addr(0, 1 << 52), None, "too large");
        assert_eq!(f.get_addr(u64::MAX), genmask(51, 6));
    }

    #[test]
    fn qwfield_positions() {
        let f = QwField::new(1, 29, 28);
        assert_eq!(f.abs_lo(), 92);
        assert_eq!(f.abs_hi(), 93);
        let mut w = [0u64; ENTRY_QWORDS];
        assert_eq!(f.try_set(&mut w, 4), None);
        assert_eq!(w, [0; ENTRY_QWORDS]);
        assert_eq!(f.try_set(&mut w, 2), Some(()));
        assert_eq!(w[1], 2 << 28);
        assert_eq!(f.get(&w), 2);
        assert_eq!(f.mask()[1], 3 << 28);
    }
}
