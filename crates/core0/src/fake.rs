//! [`RecordingRegs`]: a host stand-in for the ESP32-S3's core-1 control registers that logs
//! every access in order, models the RTC software stall set by `esp_cpu_stall`, and tells a
//! simulated core 1 (a test thread) when it is released or held again.

use std::boxed::Box;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;
use std::vec::Vec;

use crate::core1::{rtc_stall_holds_core1, rtc_stalled_core1, rtc_unstalled_core1};
use crate::regs::*;

/// One recorded access or call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// MMIO read of `addr` that returned `value`.
    Read(u32, u32),
    /// MMIO write of `value` to `addr`.
    Write(u32, u32),
    /// `ets_set_appcpu_boot_addr(addr)`.
    SetBootAddr(u32),
    /// `esp_cpu_stall(core)`.
    CpuStall(u32),
    /// `esp_cpu_unstall(core)`.
    CpuUnstall(u32),
}

enum Clock {
    /// Simulated: `delay_us` advances it, nothing sleeps.
    Simulated(u64),
    /// Real time (for tests where another thread plays core 1).
    Real(Instant),
}

/// The recording fake. Delays and clock reads are not logged (they are timing, not hardware).
pub struct RecordingRegs {
    /// Register file (addresses never written read as 0).
    pub mem: BTreeMap<u32, u32>,
    /// Every access, in order.
    pub log: Vec<Op>,
    clock: Clock,
    running: Arc<AtomicBool>,
    on_release: Option<Box<dyn FnMut() + Send>>,
}

impl RecordingRegs {
    /// Core 1 as a `CONFIG_FREERTOS_UNICORE` boot leaves it (FACTS §1, cpu_start.c L735-746):
    /// CLKGATE_EN cleared, RUNSTALL set, RESETING cleared; RTC stall untouched (0); boot
    /// address 0. Simulated clock.
    pub fn unicore_boot_state() -> Self {
        let mut mem = BTreeMap::new();
        mem.insert(CORE_1_CONTROL_0, RUNSTALL);
        RecordingRegs {
            mem,
            log: Vec::new(),
            clock: Clock::Simulated(0),
            running: Arc::new(AtomicBool::new(false)),
            on_release: None,
        }
    }

    /// Use the real clock (`delay_us` sleeps), for tests with a simulated core-1 thread.
    pub fn with_real_time(mut self) -> Self {
        self.clock = Clock::Real(Instant::now());
        self
    }

    /// Calls `hook` each time the modelled core 1 goes from held to released.
    pub fn on_release(mut self, hook: impl FnMut() + Send + 'static) -> Self {
        self.on_release = Some(Box::new(hook));
        self
    }

    /// A flag that is `true` while the modelled core 1 may execute (released from reset and
    /// from both stalls); a simulated core 1 must stop touching shared state once it is false.
    pub fn running_flag(&self) -> Arc<AtomicBool> {
        self.running.clone()
    }

    /// The register value (0 if never written).
    pub fn get(&self, addr: u32) -> u32 {
        self.mem.get(&addr).copied().unwrap_or(0)
    }

    /// Takes the log, leaving it empty.
    pub fn take_log(&mut self) -> Vec<Op> {
        core::mem::take(&mut self.log)
    }

    /// Whether the modelled core 1 can run: RUNSTALL and RESETING clear, no RTC stall.
    pub fn core1_can_run(&self) -> bool {
        self.get(CORE_1_CONTROL_0) & (RUNSTALL | RESETING) == 0
            && !rtc_stall_holds_core1(self.get(RTC_CNTL_SW_CPU_STALL), self.get(RTC_CNTL_OPTIONS0))
    }

    fn update(&mut self) {
        let now = self.core1_can_run();
        let before = self.running.swap(now, Ordering::AcqRel);
        if now && !before {
            if let Some(hook) = self.on_release.as_mut() {
                hook();
            }
        }
    }
}

impl Regs for RecordingRegs {
    fn read(&mut self, addr: u32) -> u32 {
        let value = self.get(addr);
        self.log.push(Op::Read(addr, value));
        value
    }

    fn write(&mut self, addr: u32, value: u32) {
        self.log.push(Op::Write(addr, value));
        self.mem.insert(addr, value);
        self.update();
    }

    fn delay_us(&mut self, us: u32) {
        match &mut self.clock {
            Clock::Simulated(now) => *now += u64::from(us),
            Clock::Real(_) => std::thread::sleep(std::time::Duration::from_micros(us.into())),
        }
    }

    fn now_us(&mut self) -> u64 {
        match &self.clock {
            Clock::Simulated(now) => *now,
            Clock::Real(start) => start.elapsed().as_micros() as u64,
        }
    }

    fn set_appcpu_boot_addr(&mut self, addr: u32) {
        self.log.push(Op::SetBootAddr(addr));
        self.mem.insert(CORE_1_CONTROL_1, addr);
    }

    fn cpu_stall(&mut self, core: u32) {
        self.log.push(Op::CpuStall(core));
        if core == 1 {
            let (c1, c0) = rtc_stalled_core1(self.get(RTC_CNTL_SW_CPU_STALL), self.get(RTC_CNTL_OPTIONS0));
            self.mem.insert(RTC_CNTL_SW_CPU_STALL, c1);
            self.mem.insert(RTC_CNTL_OPTIONS0, c0);
            self.update();
        }
    }

    fn cpu_unstall(&mut self, core: u32) {
        self.log.push(Op::CpuUnstall(core));
        if core == 1 {
            let (c1, c0) = rtc_unstalled_core1(self.get(RTC_CNTL_SW_CPU_STALL), self.get(RTC_CNTL_OPTIONS0));
            self.mem.insert(RTC_CNTL_SW_CPU_STALL, c1);
            self.mem.insert(RTC_CNTL_OPTIONS0, c0);
            self.update();
        }
    }
}
