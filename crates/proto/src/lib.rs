//! Formats shared by every side of splitcore: the core-1 runtime writes them, the core-0
//! component and the host tool decode them, with this one implementation.
//!
//! ```
//! use splitcore_proto::exccause::ExcCause;
//! assert_eq!(ExcCause::from_raw(9).name(), "LoadStoreAlignment");
//! ```
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod control;
pub mod crash;
pub mod exccause;
