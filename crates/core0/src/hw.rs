//! The real register access on the ESP32-S3 (Xtensa builds only): volatile MMIO plus the ROM
//! and ESP-IDF functions the start sequence needs. Everything here is linked into the ESP-IDF
//! application, whose linker provides these symbols (ROM: esp32s3.rom.ld; IDF: esp_hw_support,
//! esp_timer).

use crate::regs::Regs;

extern "C" {
    /// ROM, 0x40000720 (esp32s3.rom.ld L51; rom/ets_sys.h L95-103).
    fn ets_set_appcpu_boot_addr(addr: u32);
    /// esp_cpu.h L91 (components/esp_hw_support/cpu.c L30-36), placed in IRAM.
    fn esp_cpu_stall(core_id: i32);
    /// esp_cpu.h L98.
    fn esp_cpu_unstall(core_id: i32);
    /// ROM busy-wait (esp_rom_sys.h).
    fn esp_rom_delay_us(us: u32);
    /// esp_timer.h: microseconds since boot.
    fn esp_timer_get_time() -> i64;
}

/// Zero-sized handle on the real registers.
#[derive(Debug, Clone, Copy, Default)]
pub struct HwRegs;

impl Regs for HwRegs {
    fn read(&mut self, addr: u32) -> u32 {
        // SAFETY: only called with the documented, always-mapped SYSTEM / RTC_CNTL register
        // addresses in `regs` (4-aligned peripheral space).
        unsafe { core::ptr::read_volatile(addr as usize as *const u32) }
    }

    fn write(&mut self, addr: u32, value: u32) {
        // SAFETY: as in `read`; these registers only control core 1 and the doorbell lines.
        unsafe { core::ptr::write_volatile(addr as usize as *mut u32, value) }
    }

    fn delay_us(&mut self, us: u32) {
        // SAFETY: ROM function without preconditions.
        unsafe { esp_rom_delay_us(us) }
    }

    fn now_us(&mut self) -> u64 {
        // SAFETY: esp_timer is initialised before app_main; the value is never negative.
        unsafe { esp_timer_get_time() as u64 }
    }

    fn set_appcpu_boot_addr(&mut self, addr: u32) {
        // SAFETY: ROM function; it only stores `addr` in SYSTEM_CORE_1_CONTROL_1_REG.
        unsafe { ets_set_appcpu_boot_addr(addr) }
    }

    fn cpu_stall(&mut self, core: u32) {
        // SAFETY: IDF function; core 1 exists on the S3 (SOC_CPU_CORES_NUM == 2).
        unsafe { esp_cpu_stall(core as i32) }
    }

    fn cpu_unstall(&mut self, core: u32) {
        // SAFETY: as `cpu_stall`.
        unsafe { esp_cpu_unstall(core as i32) }
    }
}
