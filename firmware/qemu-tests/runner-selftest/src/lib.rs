//! Each scenario (chosen with `cargo xtask qemu qemu-runner-selftest --scenario N`) fails in a
//! different way; `cargo xtask test` checks that the runner reports each one as a failure with
//! the right name. Scenario 0: a failing check among passing tests; 1: an illegal instruction on
//! core 0; 2: a panic on core 1; 3: an unaligned load on core 1.
#![no_std]

use splitcore_target_test::{board, check_eq, target_test_main, TestCase, TestResult};

fn passes() -> TestResult {
    check_eq!(6 * 7, 42);
    Ok(())
}

fn deliberately_fails() -> TestResult {
    let answer = core::hint::black_box(41);
    check_eq!(answer, 42);
    Ok(())
}

fn illegal_instruction() -> TestResult {
    board::trigger_illegal_instruction();
    Ok(())
}

fn panics() -> TestResult {
    let limit = core::hint::black_box(3u32);
    if limit < 10 {
        panic!("deliberate panic with limit {limit}");
    }
    Ok(())
}

fn unaligned_load() -> TestResult {
    let words = [0u32; 4];
    let address = core::hint::black_box(words.as_ptr() as usize + 1);
    // SAFETY: deliberately unaligned: the CPU raises LoadStoreAlignment, which is the point.
    let value = unsafe { core::ptr::read_volatile(address as *const u32) };
    check_eq!(value, 0);
    Ok(())
}

fn chosen() -> TestResult {
    match board::config().scenario {
        0 => deliberately_fails(),
        1 => illegal_instruction(),
        _ => Ok(()),
    }
}

fn chosen_on_core1() -> TestResult {
    match board::config().scenario {
        2 => panics(),
        3 => unaligned_load(),
        _ => Ok(()),
    }
}

target_test_main!(
    TestCase::core0("passes", passes),
    TestCase::core0("chosen failure", chosen),
    TestCase::core1("chosen failure on core 1", chosen_on_core1),
    TestCase::core0("still runs after a failure", passes),
);
