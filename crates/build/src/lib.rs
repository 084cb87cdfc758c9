//! Build orchestration for splitcore's Xtensa code, shared by `xtask` and the `splitcore` CLI.
//!
//! The route that works with Debian's packages alone (see the repository README):
//! Debian's `rustc` (LLVM 22 with the upstream Xtensa backend) driven by cargo with
//! `RUSTC_BOOTSTRAP=1`, `-Zbuild-std`, a JSON target spec from `targets/`, `codegen-units = 1`
//! and [`wrapper`] as `RUSTC_WRAPPER` to fix LLVM 22's literal placement; GNU ld from
//! `binutils-xtensa-lx106` links the result. Espressif's `esp` toolchain is used instead when
//! it is the one installed (or `SPLITCORE_TOOLCHAIN=esp`).
//!
//! ```no_run
//! use splitcore_build::{cargo::{TargetSpec, XtensaBuild}, toolchain::Toolchain};
//! # fn main() -> anyhow::Result<()> {
//! splitcore_build::wrapper::run_if_requested(); // first thing in main
//! let build = XtensaBuild {
//!     manifest: "firmware/Cargo.toml".into(),
//!     packages: vec!["qemu-smoke".into()],
//!     target: TargetSpec::QemuDe233,
//!     targets_dir: "targets".into(),
//!     target_dir: "firmware/target".into(),
//!     env: vec![],
//!     quiet: true,
//! };
//! let out = build.run(&Toolchain::detect()?)?;
//! println!("{}", out.archive("qemu-smoke")?.display());
//! # Ok(()) }
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod cargo;
pub mod disasm;
pub mod sizes;
pub mod toolchain;
pub mod wrapper;
