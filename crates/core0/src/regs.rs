//! The register seam: every hardware access core 0 makes for core 1 goes through [`Regs`], so
//! the exact sequences can be checked on a host against [`RecordingRegs`](crate::fake) and the
//! real implementation ([`HwRegs`](crate::hw), Xtensa only) stays a thin layer of volatile
//! accesses and calls into ROM/ESP-IDF.
//!
//! Register addresses (ESP32-S3; FACTS.md §1, §2, §6 and ESP-IDF sources):
//!
//! | register | address | source |
//! |---|---|---|
//! | `SYSTEM_CORE_1_CONTROL_0_REG` | `0x600C_0000` | system_reg.h L15-33 (bits RUNSTALL 0, CLKGATE_EN 1, RESETING 2) |
//! | `SYSTEM_CORE_1_CONTROL_1_REG` | `0x600C_0004` | system_reg.h L35-41 (ROM boot address) |
//! | `SYSTEM_CPU_INTR_FROM_CPU_n_REG` | `0x600C_0030 + 4n` | system_reg.h L681-705 |
//! | `RTC_CNTL_OPTIONS0_REG` | `0x6000_8000` | rtc_cntl_reg.h: `DR_REG_RTCCNTL_BASE + 0x0`, SW_STALL_APPCPU_C0 = bits [1:0] |
//! | `RTC_CNTL_SW_CPU_STALL_REG` | `0x6000_80BC` | rtc_cntl_reg.h: `DR_REG_RTCCNTL_BASE + 0xBC`, SW_STALL_APPCPU_C1 = bits [25:20] |
//!
//! `DR_REG_RTCCNTL_BASE` = `0x6000_8000` (components/soc/esp32s3/register/soc/reg_base.h). The
//! RTC_CNTL offsets were looked up in espressif/esp-idf
//! `components/soc/esp32s3/register/soc/rtc_cntl_reg.h` (commit 1929b27c); they are not in
//! FACTS.md. `{C1, C0} == 0x86` stalls the APP CPU (same header, field descriptions; FACTS §2
//! cpu_utility_ll.h L31-67).

/// Hardware access used by core 0 to control core 1.
///
/// `read`/`write` are 32-bit MMIO accesses; the other methods are the ROM/ESP-IDF functions the
/// real implementation calls (modelled here so a recording fake sees them in order).
pub trait Regs {
    /// Volatile 32-bit read.
    fn read(&mut self, addr: u32) -> u32;
    /// Volatile 32-bit write.
    fn write(&mut self, addr: u32, value: u32);
    /// Busy-waits `us` microseconds (`esp_rom_delay_us`).
    fn delay_us(&mut self, us: u32);
    /// Monotonic time in microseconds (`esp_timer_get_time`).
    fn now_us(&mut self) -> u64;
    /// ROM `ets_set_appcpu_boot_addr(addr)` (0x40000720; writes SYSTEM_CORE_1_CONTROL_1_REG).
    fn set_appcpu_boot_addr(&mut self, addr: u32);
    /// ESP-IDF `esp_cpu_stall(core)`: the RTC_CNTL software stall (0x86 pattern).
    fn cpu_stall(&mut self, core: u32);
    /// ESP-IDF `esp_cpu_unstall(core)`: clears the RTC_CNTL software stall.
    fn cpu_unstall(&mut self, core: u32);

    /// Read-modify-write: `write(addr, f(read(addr)))`.
    fn modify(&mut self, addr: u32, f: impl FnOnce(u32) -> u32) -> u32
    where
        Self: Sized,
    {
        let value = f(self.read(addr));
        self.write(addr, value);
        value
    }
}

impl<R: Regs + ?Sized> Regs for &mut R {
    fn read(&mut self, addr: u32) -> u32 {
        (**self).read(addr)
    }
    fn write(&mut self, addr: u32, value: u32) {
        (**self).write(addr, value)
    }
    fn delay_us(&mut self, us: u32) {
        (**self).delay_us(us)
    }
    fn now_us(&mut self) -> u64 {
        (**self).now_us()
    }
    fn set_appcpu_boot_addr(&mut self, addr: u32) {
        (**self).set_appcpu_boot_addr(addr)
    }
    fn cpu_stall(&mut self, core: u32) {
        (**self).cpu_stall(core)
    }
    fn cpu_unstall(&mut self, core: u32) {
        (**self).cpu_unstall(core)
    }
}

/// `SYSTEM_CORE_1_CONTROL_0_REG` (system_reg.h L15-33).
pub const CORE_1_CONTROL_0: u32 = 0x600C_0000;
/// `SYSTEM_CORE_1_CONTROL_1_REG`: the ROM's APP-CPU boot address (system_reg.h L35-41).
pub const CORE_1_CONTROL_1: u32 = 0x600C_0004;
/// CONTROL_0 bit 0: `SYSTEM_CONTROL_CORE_1_RUNSTALL` (reset default 0).
pub const RUNSTALL: u32 = 1 << 0;
/// CONTROL_0 bit 1: `SYSTEM_CONTROL_CORE_1_CLKGATE_EN` (reset default 0).
pub const CLKGATE_EN: u32 = 1 << 1;
/// CONTROL_0 bit 2: `SYSTEM_CONTROL_CORE_1_RESETING` (reset default 1).
pub const RESETING: u32 = 1 << 2;

/// `RTC_CNTL_OPTIONS0_REG` (`DR_REG_RTCCNTL_BASE + 0x0`).
pub const RTC_CNTL_OPTIONS0: u32 = 0x6000_8000;
/// `RTC_CNTL_SW_STALL_APPCPU_C0` mask, bits [1:0] of OPTIONS0.
pub const SW_STALL_APPCPU_C0_MASK: u32 = 0x3;
/// `RTC_CNTL_SW_CPU_STALL_REG` (`DR_REG_RTCCNTL_BASE + 0xBC`).
pub const RTC_CNTL_SW_CPU_STALL: u32 = 0x6000_80BC;
/// `RTC_CNTL_SW_STALL_APPCPU_C1` shift, bits [25:20] of SW_CPU_STALL.
pub const SW_STALL_APPCPU_C1_SHIFT: u32 = 20;
/// `RTC_CNTL_SW_STALL_APPCPU_C1` mask.
pub const SW_STALL_APPCPU_C1_MASK: u32 = 0x3f << SW_STALL_APPCPU_C1_SHIFT;
/// `{C1[5:0], C0[1:0]}` value that stalls the APP CPU.
pub const SW_STALL_PATTERN: u32 = 0x86;

/// `SYSTEM_CPU_INTR_FROM_CPU_0_REG`; line `n` is at `+ 4 * n` (system_reg.h L681-705).
pub const FROM_CPU_INTR_BASE: u32 = 0x600C_0030;
/// FROM_CPU_INTR line core 0 rings core 1 with (the runtime's `doorbell::TO_CORE1`).
pub const DOORBELL_TO_CORE1: u32 = 2;
/// FROM_CPU_INTR line core 1 rings core 0 with (the runtime's `doorbell::TO_CORE0`).
pub const DOORBELL_TO_CORE0: u32 = 3;
/// `ETS_FROM_CPU_INTR0_SOURCE` (interrupts.h L98-101); line `n` is source `79 + n`.
pub const FROM_CPU_INTR0_SOURCE: u32 = 79;

/// Address of `SYSTEM_CPU_INTR_FROM_CPU_n_REG`.
pub const fn from_cpu_intr_reg(line: u32) -> u32 {
    FROM_CPU_INTR_BASE + 4 * line
}
