//! Xtensa `EXCCAUSE` values (Xtensa ISA reference, table "Exception Causes"), named the way
//! ESP-IDF's panic handler prints them where it names them.

use core::fmt;

/// An `EXCCAUSE` register value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExcCause(pub u32);

const NAMES: [&str; 40] = [
    "IllegalInstruction",    // 0
    "Syscall",               // 1
    "InstructionFetchError", // 2
    "LoadStoreError",        // 3
    "Level1Interrupt",       // 4
    "Alloca",                // 5
    "IntegerDivideByZero",   // 6
    "PCValue",               // 7
    "Privileged",            // 8
    "LoadStoreAlignment",    // 9
    "",                      // 10
    "",                      // 11
    "InstrPIFDataError",     // 12
    "LoadStorePIFDataError", // 13
    "InstrPIFAddrError",     // 14
    "LoadStorePIFAddrError", // 15
    "InstTLBMiss",           // 16
    "InstTLBMultiHit",       // 17
    "InstFetchPrivilege",    // 18
    "",                      // 19
    "InstFetchProhibited",   // 20
    "",                      // 21
    "",                      // 22
    "",                      // 23
    "LoadStoreTLBMiss",      // 24
    "LoadStoreTLBMultiHit",  // 25
    "LoadStorePrivilege",    // 26
    "",                      // 27
    "LoadProhibited",        // 28
    "StoreProhibited",       // 29
    "",                      // 30
    "",                      // 31
    "Coprocessor0Disabled",  // 32
    "Coprocessor1Disabled",  // 33
    "Coprocessor2Disabled",  // 34
    "Coprocessor3Disabled",  // 35
    "Coprocessor4Disabled",  // 36
    "Coprocessor5Disabled",  // 37
    "Coprocessor6Disabled",  // 38
    "Coprocessor7Disabled",  // 39
];

impl ExcCause {
    /// Illegal instruction.
    pub const ILLEGAL_INSTRUCTION: ExcCause = ExcCause(0);
    /// Integer divide by zero.
    pub const INTEGER_DIVIDE_BY_ZERO: ExcCause = ExcCause(6);
    /// Unaligned load or store.
    pub const LOAD_STORE_ALIGNMENT: ExcCause = ExcCause(9);
    /// Load from a protected/unmapped address (ESP32-S3 PMS/MMU).
    pub const LOAD_PROHIBITED: ExcCause = ExcCause(28);
    /// Store to a protected/unmapped address (ESP32-S3 PMS/MMU).
    pub const STORE_PROHIBITED: ExcCause = ExcCause(29);

    /// Wraps a raw register value.
    pub const fn from_raw(raw: u32) -> Self {
        ExcCause(raw)
    }

    /// The cause's name, or `"Reserved"` for values the ISA does not define.
    pub const fn name(self) -> &'static str {
        if (self.0 as usize) < NAMES.len() && !NAMES[self.0 as usize].is_empty() {
            NAMES[self.0 as usize]
        } else {
            "Reserved"
        }
    }
}

impl fmt::Display for ExcCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (EXCCAUSE {})", self.name(), self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_isa_table() {
        assert_eq!(ExcCause(0).name(), "IllegalInstruction");
        assert_eq!(ExcCause(6).name(), "IntegerDivideByZero");
        assert_eq!(ExcCause(15).name(), "LoadStorePIFAddrError");
        assert_eq!(ExcCause(28).name(), "LoadProhibited");
        assert_eq!(ExcCause(29).name(), "StoreProhibited");
        assert_eq!(ExcCause(32).name(), "Coprocessor0Disabled");
        assert_eq!(ExcCause(10).name(), "Reserved");
        assert_eq!(ExcCause(40).name(), "Reserved");
        assert_eq!(ExcCause(u32::MAX).name(), "Reserved");
    }

    #[test]
    fn display_shows_name_and_number() {
        extern crate std;
        use std::string::ToString;
        assert_eq!(ExcCause(9).to_string(), "LoadStoreAlignment (EXCCAUSE 9)");
    }
}
