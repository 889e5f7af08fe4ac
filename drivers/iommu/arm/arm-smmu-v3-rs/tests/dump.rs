// SPDX-License-Identifier: GPL-2.0

//! The field-by-field dump used by debugfs names the specification's
//! fields and shows only those that are set.

use smmuv3::hw::{bits::FieldDump, ste::Ste};

fn dump(ste: &Ste) -> String {
    FieldDump {
        words: &ste.0,
        fields: Ste::FIELDS,
    }
    .to_string()
}

#[test]
fn abort_ste_shows_only_valid_bit() {
    // Config = 0b100 is bypass; abort is 0b000, so only V is set.
    assert_eq!(dump(&Ste::abort()), "V=0x1");
}

#[test]
fn zero_entry_says_so() {
    assert_eq!(dump(&Ste::invalid()), "(all zero)");
}

#[test]
fn every_field_is_listed_once_and_named() {
    let mut names: Vec<&str> = Ste::FIELDS.iter().map(|f| f.name).collect();
    let n = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), n, "duplicate field names");
    assert!(names.contains(&"CONFIG") && names.contains(&"S1_CONTEXT_PTR"));
}
