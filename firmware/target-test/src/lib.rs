//! On-target test harness for the emulated Xtensa cores.
//!
//! A test program is a `staticlib` linked with the QEMU board (`firmware/qemu-board`) by
//! `cargo xtask qemu`. It lists its tests with [`target_test_main!`]; each test runs on core 0,
//! on core 1, or on both at once ([`TestCase::dual`]), and the run ends with the line
//! `N passed, N failed, N skipped` and exit status 0 (all passed) or 1.
//!
//! ```ignore
//! #![no_std]
//! use splitcore_target_test::{check_eq, target_test_main, TestCase, TestResult};
//!
//! fn adds() -> TestResult {
//!     check_eq!(1 + 1, 2);
//!     Ok(())
//! }
//! target_test_main!(TestCase::core0("adds", adds), TestCase::core1("adds on core 1", adds));
//! ```
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod board;
mod io;
mod runner;

pub use io::{LineBuf, Stdout};
pub use runner::{report_panic, run_tests, wait_for, Failure, TestCase, TestResult};

/// Prints to the host's stdout through semihosting.
#[macro_export]
macro_rules! println {
    () => { $crate::print_fmt(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::print_fmt(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Prints formatted text (one semihosting write per 256 bytes).
pub fn print_fmt(args: core::fmt::Arguments<'_>) {
    use core::fmt::Write;
    let mut out = Stdout::new();
    let _ = out.write_fmt(args);
}

/// Fails the test (returns a [`Failure`] naming file and line) when the condition is false.
#[macro_export]
macro_rules! check {
    ($cond:expr $(,)?) => {
        if !$cond {
            return Err($crate::Failure::new(
                file!(),
                line!(),
                format_args!("check failed: {}", stringify!($cond)),
            ));
        }
    };
    ($cond:expr, $($arg:tt)+) => {
        if !$cond {
            return Err($crate::Failure::new(file!(), line!(), format_args!($($arg)+)));
        }
    };
}

/// Fails the test when the two values differ, showing both.
#[macro_export]
macro_rules! check_eq {
    ($left:expr, $right:expr $(,)?) => {
        match (&$left, &$right) {
            (left, right) => {
                if *left != *right {
                    return Err($crate::Failure::new(
                        file!(),
                        line!(),
                        format_args!(
                            "{} == {} failed: left {:?}, right {:?}",
                            stringify!($left),
                            stringify!($right),
                            left,
                            right
                        ),
                    ));
                }
            }
        }
    };
}

/// Defines the program's core-0 entry (`board_main`), running the listed [`TestCase`]s, and
/// the harness's panic handler ([`report_panic`]).
#[macro_export]
macro_rules! target_test_main {
    ($($case:expr),+ $(,)?) => {
        $crate::target_test_cases!($($case),+);

        #[panic_handler]
        fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
            $crate::report_panic(info)
        }
    };
}

/// Like [`target_test_main!`] without the panic handler, for programs that link a runtime
/// with its own (the core-1 runtime's tests).
#[macro_export]
macro_rules! target_test_cases {
    ($($case:expr),+ $(,)?) => {
        #[no_mangle]
        pub extern "C" fn board_main() -> ! {
            static CASES: &[$crate::TestCase] = &[$($case),+];
            $crate::run_tests(CASES)
        }
    };
}
