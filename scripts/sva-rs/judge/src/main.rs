// SPDX-License-Identifier: GPL-2.0

//! `sva-rs-judge LOG...`: judges QEMU console logs; prints per-tier counts,
//! every failure, and a last line `judge: N passed, N failed, N skipped`.
//! Exits 1 if any run failed, 2 on usage or I/O errors.

use std::process::ExitCode;
use sva_rs_judge::{judge, Outcome};

fn main() -> ExitCode {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: sva-rs-judge CONSOLE-LOG...");
        return ExitCode::from(2);
    }
    let (mut pass, mut fail, mut skip) = (0, 0, 0);
    let mut ok = true;
    for p in &paths {
        let bytes = match std::fs::read(p) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("sva-rs-judge: {p}: {e}");
                return ExitCode::from(2);
            }
        };
        let v = judge(&String::from_utf8_lossy(&bytes));
        println!("== {p}");
        print!("{v}");
        pass += v.count(None, Outcome::Pass);
        skip += v.count(None, Outcome::Skip);
        fail += v.count(None, Outcome::Fail) + usize::from(!v.reached_end);
        ok &= v.ok();
    }
    println!("judge: {pass} passed, {fail} failed, {skip} skipped");
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
