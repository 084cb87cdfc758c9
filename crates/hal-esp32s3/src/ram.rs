//! Register files in RAM with the PAC's layouts, for host tests and doc examples: every
//! register starts at 0 (not at its hardware reset value) and keeps what was written last.
//! Nothing changes a register behind the driver's back; where hardware would (status and
//! counter registers), a test writes the value the hardware would show.
//!
//! The PAC only lets software write writable registers and read readable ones; a test plays
//! the hardware too, so [`poke`] writes a read-only register (what a counter would show) and
//! [`peek`] reads a write-only one (what a driver stored into a W1TS register).
//!
//! ```
//! use splitcore_hal_esp32s3::ram::{peek, poke, RamBlocks};
//! let ram = RamBlocks::new();
//! poke(ram.pcnt().u_cnt(0), 7); // what the counter would show
//! assert_eq!(ram.blocks().pcnt.u_cnt(0).read().bits(), 7);
//! ram.gpio().out_w1ts().write(|w| unsafe { w.bits(1 << 3) });
//! assert_eq!(peek(ram.gpio().out_w1ts()), 1 << 3);
//! ```

use crate::{pac, Blocks};

/// Reads any 32-bit register of a RAM register file, including write-only ones.
pub fn peek<REG: pac::generic::RegisterSpec<Ux = u32>>(reg: &pac::generic::Reg<REG>) -> u32 {
    // SAFETY: `as_ptr` points at the register's `VolatileCell<u32>`, valid while `reg` is.
    unsafe { core::ptr::read_volatile(reg.as_ptr()) }
}

/// Writes any 32-bit register of a RAM register file, including read-only ones (playing the
/// hardware). On real hardware this would be a write the register ignores or rejects: only
/// use it on [`RamBlocks`].
pub fn poke<REG: pac::generic::RegisterSpec<Ux = u32>>(reg: &pac::generic::Reg<REG>, value: u32) {
    // SAFETY: as in `peek`; the cell is an `UnsafeCell`, so writing through `&` is allowed.
    unsafe { core::ptr::write_volatile(reg.as_ptr(), value) }
}

mod sealed {
    /// Register blocks for which all-zero bytes are a valid value.
    ///
    /// # Safety
    /// Implementors consist only of `vcell::VolatileCell<u32>` registers (PAC `Reg<_>`) and
    /// `u8` padding arrays.
    pub unsafe trait ZeroValid {}
}

// SAFETY: svd2rust register blocks: `#[repr(C)]` structs of `Reg<SPEC>` (a `VolatileCell` of
// the register's raw integer) and `[u8; N]` reserved gaps; every bit pattern is valid.
unsafe impl sealed::ZeroValid for pac::gpio::RegisterBlock {}
// SAFETY: as above.
unsafe impl sealed::ZeroValid for pac::io_mux::RegisterBlock {}
// SAFETY: as above.
unsafe impl sealed::ZeroValid for pac::mcpwm0::RegisterBlock {}
// SAFETY: as above.
unsafe impl sealed::ZeroValid for pac::pcnt::RegisterBlock {}
// SAFETY: as above.
unsafe impl sealed::ZeroValid for pac::sens::RegisterBlock {}
// SAFETY: as above.
unsafe impl sealed::ZeroValid for pac::systimer::RegisterBlock {}

/// One zeroed register block in RAM.
#[repr(C, align(4))]
pub struct RamBlock<RB: sealed::ZeroValid>(RB);

impl<RB: sealed::ZeroValid> RamBlock<RB> {
    /// All registers zero.
    pub fn zeroed() -> Self {
        // SAFETY: `ZeroValid`: all-zero bytes are a valid `RB`.
        RamBlock(unsafe { core::mem::zeroed() })
    }

    /// The block.
    pub fn get(&self) -> &RB {
        &self.0
    }
}

impl<RB: sealed::ZeroValid> core::fmt::Debug for RamBlock<RB> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "RamBlock<{}>({} bytes)", core::any::type_name::<RB>(), core::mem::size_of::<RB>())
    }
}

/// All the register blocks a [`Chip`](crate::Chip) needs, in RAM.
#[derive(Debug)]
pub struct RamBlocks {
    gpio: RamBlock<pac::gpio::RegisterBlock>,
    io_mux: RamBlock<pac::io_mux::RegisterBlock>,
    mcpwm: [RamBlock<pac::mcpwm0::RegisterBlock>; 2],
    pcnt: RamBlock<pac::pcnt::RegisterBlock>,
    sens: RamBlock<pac::sens::RegisterBlock>,
    systimer: RamBlock<pac::systimer::RegisterBlock>,
}

impl Default for RamBlocks {
    fn default() -> Self {
        Self::new()
    }
}

impl RamBlocks {
    /// Zeroed register files.
    pub fn new() -> Self {
        RamBlocks {
            gpio: RamBlock::zeroed(),
            io_mux: RamBlock::zeroed(),
            mcpwm: [RamBlock::zeroed(), RamBlock::zeroed()],
            pcnt: RamBlock::zeroed(),
            sens: RamBlock::zeroed(),
            systimer: RamBlock::zeroed(),
        }
    }

    /// References for [`Chip::new`](crate::Chip::new).
    pub fn blocks(&self) -> Blocks<'_> {
        Blocks {
            gpio: self.gpio.get(),
            io_mux: self.io_mux.get(),
            mcpwm: [self.mcpwm[0].get(), self.mcpwm[1].get()],
            pcnt: self.pcnt.get(),
            sens: self.sens.get(),
            systimer: self.systimer.get(),
        }
    }

    /// GPIO registers.
    pub fn gpio(&self) -> &pac::gpio::RegisterBlock {
        self.gpio.get()
    }
    /// IO_MUX registers.
    pub fn io_mux(&self) -> &pac::io_mux::RegisterBlock {
        self.io_mux.get()
    }
    /// MCPWM0 (`0`) or MCPWM1 (`1`) registers.
    pub fn mcpwm(&self, unit: usize) -> &pac::mcpwm0::RegisterBlock {
        self.mcpwm[unit].get()
    }
    /// PCNT registers.
    pub fn pcnt(&self) -> &pac::pcnt::RegisterBlock {
        self.pcnt.get()
    }
    /// SENS registers.
    pub fn sens(&self) -> &pac::sens::RegisterBlock {
        self.sens.get()
    }
    /// SYSTIMER registers.
    pub fn systimer(&self) -> &pac::systimer::RegisterBlock {
        self.systimer.get()
    }
}

/// A [`Chip`](crate::Chip) on `ram` with quad PSRAM, for the drivers' unit tests.
#[cfg(test)]
pub(crate) fn test_chip(ram: &RamBlocks) -> crate::Chip<'_> {
    // SAFETY: the RAM register file belongs to this test alone.
    unsafe { crate::Chip::new(ram.blocks(), crate::PsramMode::Quad) }
}
