//! The C ABI the ESP-IDF component calls (`components/splitcore/include/splitcore.h`, generated
//! from this file by cbindgen).
//!
//! All functions return `int32_t`: `SPLITCORE_OK` (0) or a non-negative result on success, a
//! negative `SPLITCORE_ERR_*` code on failure. None of them panics or blocks indefinitely;
//! waits are bounded by the configured timeouts.
//!
//! Concurrency: the functions that change state (`splitcore_start`, `_stop`, `_restart`,
//! `_poll_log`, `_supervise`) take a try-lock and return `SPLITCORE_ERR_BUSY` instead of
//! waiting when another one is in progress (e.g. the supervisor timer while `app_main` stops
//! core 1). The read-only ones (`_status`, `_stack_high_water`, `_heartbeat`, `_crash_report`,
//! `_print_crash`) and `splitcore_shutdown` read the control block or registers directly and
//! never wait.
//!
//! On the target the shared statics come from the core-1 runtime linked into the same archive:
//! `SPLITCORE_CONTROL`, `SPLITCORE_LOG_REGION` and `splitcore_core1_entry`. On a host (tests)
//! they are bound with [`host::bind`] (feature `std`); unbound calls return
//! `SPLITCORE_ERR_NO_PLATFORM`.

use core::cell::UnsafeCell;
use core::ffi::{c_char, c_void};
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, Ordering};

use splitcore_proto::control::ControlBlock;
use splitcore_proto::crash::{CrashRecord, DecodeError};

use crate::core1::{core1_is_held, Core1, StartError, Stopped, Timing};
use crate::peripherals::{handover_peripherals, Peripherals};
use crate::regs::Regs;
use crate::supervisor::{Action, Fault, Policy, Supervisor, SupervisorConfig};

/// Success.
pub const SPLITCORE_OK: i32 = 0;
/// A pointer argument is NULL or a value is out of range (e.g. an unknown policy).
pub const SPLITCORE_ERR_INVALID_ARG: i32 = -1;
/// Another splitcore call that changes state is in progress; try again later.
pub const SPLITCORE_ERR_BUSY: i32 = -2;
/// `splitcore_start` has not been called yet.
pub const SPLITCORE_ERR_NOT_STARTED: i32 = -3;
/// Core 1 is running (not held); nothing was changed.
pub const SPLITCORE_ERR_ALREADY_RUNNING: i32 = -4;
/// Core 1 did not report `Running` within the handshake timeout; it is held again.
pub const SPLITCORE_ERR_TIMEOUT: i32 = -5;
/// The core-1 runtime speaks another protocol major version; it is held again.
pub const SPLITCORE_ERR_VERSION_MISMATCH: i32 = -6;
/// Core 1 crashed during start; it is held again; the crash report is available.
pub const SPLITCORE_ERR_CRASHED: i32 = -7;
/// The log region could not be initialised.
pub const SPLITCORE_ERR_LOG_REGION: i32 = -8;
/// The log ring was corrupted by core 1; forwarding is off until the next start.
pub const SPLITCORE_ERR_LOG_CORRUPT: i32 = -9;
/// No crash has been recorded.
pub const SPLITCORE_ERR_NO_CRASH: i32 = -10;
/// The crash record is torn or corrupt.
pub const SPLITCORE_ERR_CRASH_CORRUPT: i32 = -11;
/// The control block's status word holds no valid status.
pub const SPLITCORE_ERR_CORRUPT_STATUS: i32 = -12;
/// No core-1 program is bound (host builds without `host::bind`).
pub const SPLITCORE_ERR_NO_PLATFORM: i32 = -13;

/// `splitcore_status`: not started or held.
pub const SPLITCORE_CORE1_OFF: i32 = 0;
/// `splitcore_status`: released, handshake pending.
pub const SPLITCORE_CORE1_BOOTING: i32 = 1;
/// `splitcore_status`: the user's code runs.
pub const SPLITCORE_CORE1_RUNNING: i32 = 2;
/// `splitcore_status`: a stop was requested and acknowledged.
pub const SPLITCORE_CORE1_STOPPING: i32 = 3;
/// `splitcore_status`: the user's code returned after a stop request.
pub const SPLITCORE_CORE1_STOPPED: i32 = 4;
/// `splitcore_status`: core 1 crashed (see `splitcore_print_crash`).
pub const SPLITCORE_CORE1_CRASHED: i32 = 5;
/// `splitcore_status`: protocol version mismatch at the handshake.
pub const SPLITCORE_CORE1_INCOMPATIBLE: i32 = 6;

/// `splitcore_stop`: the user's code returned after the stop request.
pub const SPLITCORE_STOP_COOPERATIVE: i32 = 0;
/// `splitcore_stop`: core 1 did not acknowledge in time and was held anyway.
pub const SPLITCORE_STOP_FORCED: i32 = 1;
/// `splitcore_stop`: core 1 was not running (it is held).
pub const SPLITCORE_STOP_NOT_RUNNING: i32 = 2;

/// `splitcore_supervise`: nothing to do.
pub const SPLITCORE_SUPERVISE_IDLE: i32 = 0;
/// `splitcore_supervise`: a fault was reported through the sink (policy log).
pub const SPLITCORE_SUPERVISE_REPORTED: i32 = 1;
/// `splitcore_supervise`: a fault was reported and core 1 restarted.
pub const SPLITCORE_SUPERVISE_RESTARTED: i32 = 2;
/// `splitcore_supervise`: a fault was reported; the caller must restart the chip
/// (`esp_restart()`).
pub const SPLITCORE_SUPERVISE_RESTART_CHIP: i32 = 3;
/// `splitcore_supervise`: the restart limit was reached; core 1 is held.
pub const SPLITCORE_SUPERVISE_GAVE_UP: i32 = 4;

/// `SYSTEM_CPU_INTR_FROM_CPU_n_REG` base (0x600C0030, system_reg.h L681-705); line `n` is at
/// `+ 4 * n`. Core 0's doorbell handler writes 0 to its line to clear the request.
pub const SPLITCORE_FROM_CPU_INTR_BASE: u32 = 0x600C_0030;
/// Interrupt source of FROM_CPU_INTR0 (`ETS_FROM_CPU_INTR0_SOURCE`, interrupts.h L98-101).
pub const SPLITCORE_FROM_CPU_INTR0_SOURCE: u32 = 79;
/// The FROM_CPU line core 1 rings core 0 with (source 82).
pub const SPLITCORE_DOORBELL_TO_CORE0: u32 = 3;
/// The FROM_CPU line core 0 rings core 1 with (source 81).
pub const SPLITCORE_DOORBELL_TO_CORE1: u32 = 2;

const _: () = assert!(
    SPLITCORE_FROM_CPU_INTR_BASE == crate::regs::FROM_CPU_INTR_BASE
        && SPLITCORE_FROM_CPU_INTR0_SOURCE == crate::regs::FROM_CPU_INTR0_SOURCE
        && SPLITCORE_DOORBELL_TO_CORE0 == crate::regs::DOORBELL_TO_CORE0
        && SPLITCORE_DOORBELL_TO_CORE1 == crate::regs::DOORBELL_TO_CORE1
);

/// `splitcore_handover_peripherals` bit: MCPWM0 (clock on, reset pulsed and released).
pub const SPLITCORE_PERIPH_MCPWM0: u32 = 1 << 0;
/// `splitcore_handover_peripherals` bit: MCPWM1 (clock on, reset pulsed and released).
pub const SPLITCORE_PERIPH_MCPWM1: u32 = 1 << 1;
/// `splitcore_handover_peripherals` bit: PCNT (clock on, reset pulsed and released).
pub const SPLITCORE_PERIPH_PCNT: u32 = 1 << 2;
/// `splitcore_handover_peripherals` bit: APB_SARADC (clock on, reset released; never reset).
pub const SPLITCORE_PERIPH_APB_SARADC: u32 = 1 << 3;
/// `splitcore_handover_peripherals` bit: SYSTIMER (clock on, reset released; never reset).
pub const SPLITCORE_PERIPH_SYSTIMER: u32 = 1 << 4;
/// `splitcore_handover_peripherals` bit: CPU-dedicated GPIO (clock on, reset pulsed and released).
pub const SPLITCORE_PERIPH_DEDICATED_GPIO: u32 = 1 << 5;

const _: () = assert!(
    SPLITCORE_PERIPH_MCPWM0 == Peripherals::MCPWM0.bits()
        && SPLITCORE_PERIPH_MCPWM1 == Peripherals::MCPWM1.bits()
        && SPLITCORE_PERIPH_PCNT == Peripherals::PCNT.bits()
        && SPLITCORE_PERIPH_APB_SARADC == Peripherals::APB_SARADC.bits()
        && SPLITCORE_PERIPH_SYSTIMER == Peripherals::SYSTIMER.bits()
        && SPLITCORE_PERIPH_DEDICATED_GPIO == Peripherals::DEDICATED_GPIO.bits()
        && Peripherals::ALL.bits() == 0x3f
);

/// `splitcore_config_t::policy`: report faults only.
pub const SPLITCORE_POLICY_LOG: u32 = 0;
/// `splitcore_config_t::policy`: restart core 1 (backoff, limit).
pub const SPLITCORE_POLICY_RESTART_CORE1: u32 = 1;
/// `splitcore_config_t::policy`: restart the chip.
pub const SPLITCORE_POLICY_RESTART_CHIP: u32 = 2;

/// Start and supervision settings (`splitcore_config_t`). Zero timeouts take the defaults
/// noted per field, except `heartbeat_timeout_ms`, where 0 disables hang detection.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SplitcoreConfig {
    /// Handshake timeout of a start (0: 100 ms).
    pub handshake_timeout_ms: u32,
    /// Cooperative stop timeout used by restarts (0: 100 ms).
    pub stop_timeout_ms: u32,
    /// Heartbeat silence that counts as a hang (0: not checked).
    pub heartbeat_timeout_ms: u32,
    /// `SPLITCORE_POLICY_*`.
    pub policy: u32,
    /// Restarts allowed without a stable period in between.
    pub max_restarts: u32,
    /// Backoff before the first restart, doubled per restart (0: 100 ms).
    pub restart_backoff_ms: u32,
    /// Backoff upper bound (0: 10 s).
    pub restart_backoff_max_ms: u32,
    /// Running this long with a live heartbeat resets the restart count (0: 10 s).
    pub stable_ms: u32,
}

/// A line of text: `line` is NUL-terminated, `len` excludes the NUL (`splitcore_line_fn`).
pub type SplitcoreLineFn = Option<unsafe extern "C" fn(ctx: *mut c_void, line: *const c_char, len: usize)>;

const MS: u64 = 1000;

fn or(value: u32, default: u32) -> u32 {
    if value == 0 {
        default
    } else {
        value
    }
}

impl SplitcoreConfig {
    fn timing(&self) -> Timing {
        Timing {
            handshake_timeout_us: or(self.handshake_timeout_ms, 100).saturating_mul(1000),
            stop_timeout_us: or(self.stop_timeout_ms, 100).saturating_mul(1000),
            poll_us: 100,
        }
    }

    fn supervisor(&self) -> Option<SupervisorConfig> {
        Some(SupervisorConfig {
            policy: Policy::from_raw(self.policy)?,
            heartbeat_timeout_us: u64::from(self.heartbeat_timeout_ms) * MS,
            max_restarts: self.max_restarts,
            backoff_us: u64::from(or(self.restart_backoff_ms, 100)) * MS,
            backoff_max_us: u64::from(or(self.restart_backoff_max_ms, 10_000)) * MS,
            stable_us: u64::from(or(self.stable_ms, 10_000)) * MS,
        })
    }
}

fn start_error_code(e: StartError) -> i32 {
    match e {
        StartError::AlreadyRunning { .. } => SPLITCORE_ERR_ALREADY_RUNNING,
        StartError::LogRegion(_) => SPLITCORE_ERR_LOG_REGION,
        StartError::Timeout { .. } => SPLITCORE_ERR_TIMEOUT,
        StartError::VersionMismatch { .. } => SPLITCORE_ERR_VERSION_MISMATCH,
        StartError::Crashed => SPLITCORE_ERR_CRASHED,
    }
}

/// Splits formatted text into lines and hands each to a C callback (NUL-terminated copy).
struct LineSplitter {
    sink: unsafe extern "C" fn(*mut c_void, *const c_char, usize),
    ctx: *mut c_void,
    buf: [u8; 512],
    len: usize,
    lines: i32,
}

impl LineSplitter {
    fn new(sink: unsafe extern "C" fn(*mut c_void, *const c_char, usize), ctx: *mut c_void) -> Self {
        LineSplitter { sink, ctx, buf: [0; 512], len: 0, lines: 0 }
    }

    fn flush(&mut self) {
        self.buf[self.len] = 0;
        // SAFETY: the callback's contract (header): called with a NUL-terminated line valid for
        // the duration of the call; `ctx` is the caller's own pointer, passed back unchanged.
        unsafe { (self.sink)(self.ctx, self.buf.as_ptr().cast(), self.len) };
        self.len = 0;
        self.lines = self.lines.saturating_add(1);
    }

    fn line(&mut self, text: &str) {
        let _ = self.write_str(text);
        if self.len > 0 {
            self.flush();
        }
    }
}

impl Write for LineSplitter {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &byte in s.as_bytes() {
            if byte == b'\n' {
                self.flush();
                continue;
            }
            // Keep one byte for the NUL; an overlong line is split (at a byte, which may cut
            // a UTF-8 sequence: the console copes, the text is ours).
            if self.len == self.buf.len() - 1 {
                self.flush();
            }
            self.buf[self.len] = byte;
            self.len += 1;
        }
        Ok(())
    }
}

/// The bound program: registers, control block, log region, entry address.
mod platform {
    #[cfg(target_arch = "xtensa")]
    pub use target::*;

    #[cfg(target_arch = "xtensa")]
    mod target {
        use core::ptr::{addr_of, NonNull};

        use splitcore_ipc::RegionMem;
        use splitcore_proto::control::ControlBlock;

        use crate::core1::LogRegion;
        use crate::{LOG, LOG_LAYOUT};

        pub type PlatformRegs = crate::hw::HwRegs;

        extern "C" {
            static SPLITCORE_CONTROL: ControlBlock;
            static SPLITCORE_LOG_REGION: u8;
            fn splitcore_core1_entry();
        }

        pub struct Binding {
            pub regs: PlatformRegs,
            pub control: &'static ControlBlock,
            pub log: Option<LogRegion<'static>>,
            pub entry: u32,
        }

        pub fn control() -> Option<&'static ControlBlock> {
            // SAFETY: the runtime defines the static (`#[no_mangle]`, same archive); a shared
            // reference is fine, every field is atomic or behind an UnsafeCell.
            Some(unsafe { &*addr_of!(SPLITCORE_CONTROL) })
        }

        pub fn bind() -> Option<Binding> {
            // SAFETY: `SPLITCORE_LOG_REGION` is the runtime's `RegionBuf<{ LOG_LAYOUT.size() }>`
            // (a static, valid for the program's life) and is only accessed through regions
            // (core 1's producer, our consumer).
            let mem = unsafe {
                RegionMem::from_raw_parts(
                    NonNull::new_unchecked(addr_of!(SPLITCORE_LOG_REGION) as *mut u8),
                    LOG_LAYOUT.size(),
                )
            };
            Some(Binding {
                regs: crate::hw::HwRegs,
                control: control()?,
                log: Some(LogRegion { mem, layout: &LOG_LAYOUT, channel: LOG }),
                entry: splitcore_core1_entry as unsafe extern "C" fn() as usize as u32,
            })
        }

        pub fn shutdown_regs() -> Option<PlatformRegs> {
            Some(crate::hw::HwRegs)
        }
    }

    #[cfg(all(not(target_arch = "xtensa"), feature = "std"))]
    pub use crate::ffi::host::{bind, control, shutdown_regs, PlatformRegs};

    #[cfg(all(not(target_arch = "xtensa"), not(feature = "std")))]
    pub use none::*;

    #[cfg(all(not(target_arch = "xtensa"), not(feature = "std")))]
    mod none {
        use splitcore_proto::control::ControlBlock;

        use crate::core1::LogRegion;
        use crate::regs::Regs;

        /// Never constructed: nothing is bound on a host without `std`.
        pub enum PlatformRegs {}

        impl Regs for PlatformRegs {
            fn read(&mut self, _: u32) -> u32 {
                match *self {}
            }
            fn write(&mut self, _: u32, _: u32) {
                match *self {}
            }
            fn delay_us(&mut self, _: u32) {
                match *self {}
            }
            fn now_us(&mut self) -> u64 {
                match *self {}
            }
            fn set_appcpu_boot_addr(&mut self, _: u32) {
                match *self {}
            }
            fn cpu_stall(&mut self, _: u32) {
                match *self {}
            }
            fn cpu_unstall(&mut self, _: u32) {
                match *self {}
            }
        }

        pub struct Binding {
            pub regs: PlatformRegs,
            pub control: &'static ControlBlock,
            pub log: Option<LogRegion<'static>>,
            pub entry: u32,
        }

        pub fn control() -> Option<&'static ControlBlock> {
            None
        }

        pub fn bind() -> Option<Binding> {
            None
        }

        pub fn shutdown_regs() -> Option<PlatformRegs> {
            None
        }
    }
}

use platform::PlatformRegs;

struct State {
    core: Core1<'static, PlatformRegs>,
    supervisor: Supervisor,
    config: SplitcoreConfig,
}

struct Global {
    lock: AtomicBool,
    state: UnsafeCell<Option<State>>,
}

// SAFETY: `state` is only accessed by the holder of `lock` (see `with_state`).
unsafe impl Sync for Global {}

static GLOBAL: Global = Global { lock: AtomicBool::new(false), state: UnsafeCell::new(None) };

/// Runs `f` with the state if the lock is free; `SPLITCORE_ERR_BUSY` otherwise.
fn with_state(f: impl FnOnce(&mut Option<State>) -> i32) -> i32 {
    if GLOBAL.lock.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
        return SPLITCORE_ERR_BUSY;
    }
    // SAFETY: we hold the lock, so no other reference to the state exists.
    let result = f(unsafe { &mut *GLOBAL.state.get() });
    GLOBAL.lock.store(false, Ordering::Release);
    result
}

/// Starts core 1 with `config` (`const splitcore_config_t *`). Returns `SPLITCORE_OK` once the
/// runtime reported `Running`; otherwise a negative code and core 1 is held again.
///
/// # Safety
/// `config` is NULL or points to a valid `splitcore_config_t`.
#[no_mangle]
pub unsafe extern "C" fn splitcore_start(config: *const SplitcoreConfig) -> i32 {
    // SAFETY: caller's contract: NULL or valid.
    let Some(config) = (unsafe { config.as_ref() }).copied() else {
        return SPLITCORE_ERR_INVALID_ARG;
    };
    let Some(supervision) = config.supervisor() else {
        return SPLITCORE_ERR_INVALID_ARG;
    };
    with_state(|state| {
        if state.is_none() {
            let Some(binding) = platform::bind() else {
                return SPLITCORE_ERR_NO_PLATFORM;
            };
            // SAFETY: the log region is the runtime's, used only through this handle on core 0;
            // control block and entry belong to the same core-1 program.
            let core = unsafe {
                Core1::new(binding.regs, binding.control, binding.log, binding.entry, config.timing())
            };
            *state = Some(State { core, supervisor: Supervisor::new(supervision, 0), config });
        }
        let Some(st) = state.as_mut() else {
            return SPLITCORE_ERR_NO_PLATFORM;
        };
        st.config = config;
        st.core.set_timing(config.timing());
        match st.core.start() {
            Ok(()) => {
                let now = st.core.regs().now_us();
                st.supervisor = Supervisor::new(supervision, now);
                st.supervisor.restarted(now, st.core.heartbeat());
                SPLITCORE_OK
            }
            Err(e) => start_error_code(e),
        }
    })
}

/// Stops core 1: stop request, up to `timeout_ms` (0: the configured stop timeout) for the
/// user's code to return, then holds it in any case. Returns `SPLITCORE_STOP_*`.
#[no_mangle]
pub extern "C" fn splitcore_stop(timeout_ms: u32) -> i32 {
    with_state(|state| {
        let Some(st) = state.as_mut() else {
            return SPLITCORE_ERR_NOT_STARTED;
        };
        let configured = st.core.timing();
        if timeout_ms != 0 {
            st.core.set_timing(Timing { stop_timeout_us: timeout_ms.saturating_mul(1000), ..configured });
        }
        let stopped = st.core.stop();
        st.core.set_timing(configured);
        match stopped {
            Stopped::Cooperative => SPLITCORE_STOP_COOPERATIVE,
            Stopped::Forced { .. } => SPLITCORE_STOP_FORCED,
            Stopped::NotRunning { .. } => SPLITCORE_STOP_NOT_RUNNING,
        }
    })
}

/// Stops (configured stop timeout) and starts core 1 again with the last configuration.
#[no_mangle]
pub extern "C" fn splitcore_restart() -> i32 {
    with_state(|state| {
        let Some(st) = state.as_mut() else {
            return SPLITCORE_ERR_NOT_STARTED;
        };
        match st.core.restart() {
            Ok(_) => {
                let now = st.core.regs().now_us();
                let beat = st.core.heartbeat();
                st.supervisor.restarted(now, beat);
                SPLITCORE_OK
            }
            Err(e) => start_error_code(e),
        }
    })
}

/// Core 1's status: `SPLITCORE_CORE1_*` (>= 0), or `SPLITCORE_ERR_CORRUPT_STATUS` /
/// `SPLITCORE_ERR_NO_PLATFORM`. Never waits.
#[no_mangle]
pub extern "C" fn splitcore_status() -> i32 {
    match platform::control() {
        None => SPLITCORE_ERR_NO_PLATFORM,
        Some(control) => match control.status() {
            Some(status) => status as i32,
            None => SPLITCORE_ERR_CORRUPT_STATUS,
        },
    }
}

/// Deepest stack use core 1 published, in bytes (>= 0), or `SPLITCORE_ERR_NO_PLATFORM`.
#[no_mangle]
pub extern "C" fn splitcore_stack_high_water() -> i32 {
    match platform::control() {
        None => SPLITCORE_ERR_NO_PLATFORM,
        Some(control) => control.stack_high_water.load(Ordering::Relaxed).min(i32::MAX as u32) as i32,
    }
}

/// Core 1's heartbeat counter (low 31 bits, >= 0), or `SPLITCORE_ERR_NO_PLATFORM`.
#[no_mangle]
pub extern "C" fn splitcore_heartbeat() -> i32 {
    match platform::control() {
        None => SPLITCORE_ERR_NO_PLATFORM,
        Some(control) => (control.heartbeat.load(Ordering::Acquire) & 0x7fff_ffff) as i32,
    }
}

fn crash_error(e: DecodeError) -> i32 {
    match e {
        DecodeError::Empty { .. } => SPLITCORE_ERR_NO_CRASH,
        _ => SPLITCORE_ERR_CRASH_CORRUPT,
    }
}

/// Writes into a byte buffer, keeping one byte for the NUL, cutting silently.
struct BufWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl Write for BufWriter<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let room = self.buf.len().saturating_sub(1 + self.len);
        let take = s.len().min(room);
        self.buf[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
        self.len += take;
        Ok(())
    }
}

/// Formats the crash report (ESP-IDF style, with the `Backtrace: 0xPC:0xSP ...` line) into
/// `buf` (`len` bytes, NUL-terminated, cut if too small). Returns the bytes written without
/// the NUL, `SPLITCORE_ERR_NO_CRASH`, `SPLITCORE_ERR_CRASH_CORRUPT` or
/// `SPLITCORE_ERR_INVALID_ARG` (NULL `buf` or `len` 0).
///
/// # Safety
/// `buf` is NULL or valid for writes of `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn splitcore_crash_report(buf: *mut c_char, len: usize) -> i32 {
    if buf.is_null() || len == 0 {
        return SPLITCORE_ERR_INVALID_ARG;
    }
    let Some(control) = platform::control() else {
        return SPLITCORE_ERR_NO_PLATFORM;
    };
    // SAFETY: caller's contract: `buf` is valid for `len` bytes.
    let out = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), len) };
    out[0] = 0;
    let crash = match CrashRecord::decode(&control.crash_bytes()) {
        Ok(crash) => crash,
        Err(e) => return crash_error(e),
    };
    let mut w = BufWriter { buf: out, len: 0 };
    let _ = write!(w, "{crash}");
    let n = w.len;
    out[n] = 0;
    n.min(i32::MAX as usize) as i32
}

/// Hands the crash report to `sink`, one line per call. Returns the number of lines or a
/// negative code as `splitcore_crash_report`.
///
/// # Safety
/// `sink` is NULL or a function that may be called with `ctx`.
#[no_mangle]
pub unsafe extern "C" fn splitcore_print_crash(sink: SplitcoreLineFn, ctx: *mut c_void) -> i32 {
    let Some(sink) = sink else {
        return SPLITCORE_ERR_INVALID_ARG;
    };
    let Some(control) = platform::control() else {
        return SPLITCORE_ERR_NO_PLATFORM;
    };
    match CrashRecord::decode(&control.crash_bytes()) {
        Ok(crash) => {
            let mut lines = LineSplitter::new(sink, ctx);
            let _ = write!(lines, "{crash}");
            lines.lines
        }
        Err(e) => crash_error(e),
    }
}

/// Forwards up to `max_lines` of core 1's log lines to `sink` (plus a `[N lines dropped]`
/// notice when core 1 dropped lines). Returns the number of log lines forwarded,
/// `SPLITCORE_ERR_NOT_STARTED`, `SPLITCORE_ERR_BUSY` or `SPLITCORE_ERR_LOG_CORRUPT`.
///
/// # Safety
/// `sink` is NULL or a function that may be called with `ctx`.
#[no_mangle]
pub unsafe extern "C" fn splitcore_poll_log(sink: SplitcoreLineFn, ctx: *mut c_void, max_lines: u32) -> i32 {
    let Some(sink) = sink else {
        return SPLITCORE_ERR_INVALID_ARG;
    };
    with_state(|state| {
        let Some(st) = state.as_mut() else {
            return SPLITCORE_ERR_NOT_STARTED;
        };
        let dropped = st.core.control().log_dropped.load(Ordering::Relaxed);
        let Some(log) = st.core.log() else {
            return SPLITCORE_ERR_NOT_STARTED;
        };
        let mut lines = LineSplitter::new(sink, ctx);
        match log.drain(dropped, max_lines, &mut |line| lines.line(line)) {
            Ok(drained) => drained.lines.min(i32::MAX as u32) as i32,
            Err(_) => SPLITCORE_ERR_LOG_CORRUPT,
        }
    })
}

fn describe(lines: &mut LineSplitter, fault: Fault, control: &ControlBlock) {
    match fault {
        Fault::Crashed => {
            let _ = writeln!(lines, "core 1 crashed");
            match CrashRecord::decode(&control.crash_bytes()) {
                Ok(crash) => {
                    let _ = write!(lines, "{crash}");
                }
                Err(e) => {
                    let _ = writeln!(lines, "crash record unusable: {e}");
                }
            }
        }
        Fault::Hung { silent_us } => {
            let _ = writeln!(lines, "core 1 hung: no heartbeat for {} ms", silent_us / 1000);
        }
        Fault::Incompatible => {
            let theirs = control.core1_version.load(Ordering::Relaxed);
            let _ = writeln!(
                lines,
                "core 1 runtime is incompatible (protocol {}.{})",
                theirs >> 16,
                theirs & 0xffff
            );
        }
        Fault::CorruptStatus => {
            let raw = control.status.load(Ordering::Relaxed);
            let _ = writeln!(lines, "core 1 status word is corrupt (0x{raw:08x})");
        }
    }
}

/// One supervision step at `now_us` (e.g. `esp_timer_get_time()`), per the policy given to
/// `splitcore_start`. Fault descriptions (and the crash report) go to `sink` (may be NULL).
/// Returns `SPLITCORE_SUPERVISE_*`, or a negative code: `SPLITCORE_ERR_BUSY`,
/// `SPLITCORE_ERR_NOT_STARTED`, or the error of a failed restart (it is retried after the
/// backoff, counting against the limit).
///
/// # Safety
/// `sink` is NULL or a function that may be called with `ctx`.
#[no_mangle]
pub unsafe extern "C" fn splitcore_supervise(now_us: i64, sink: SplitcoreLineFn, ctx: *mut c_void) -> i32 {
    with_state(|state| {
        let Some(st) = state.as_mut() else {
            return SPLITCORE_ERR_NOT_STARTED;
        };
        let now = now_us.max(0) as u64;
        let control = st.core.control();
        let action = st.supervisor.poll(now, control.heartbeat.load(Ordering::Acquire), control.status());
        let fault = match action {
            Action::None => return SPLITCORE_SUPERVISE_IDLE,
            Action::Report(f) | Action::RestartChip(f) | Action::GiveUp(f) => f,
            Action::RestartCore1 { fault, .. } => fault,
        };
        if let Some(sink) = sink {
            let mut lines = LineSplitter::new(sink, ctx);
            describe(&mut lines, fault, control);
            match action {
                Action::RestartCore1 { attempt, .. } => {
                    let _ = writeln!(lines, "restarting core 1 (attempt {attempt})");
                }
                Action::GiveUp(_) => {
                    let _ = writeln!(lines, "core 1 restart limit reached; core 1 stays stopped");
                }
                Action::RestartChip(_) => {
                    let _ = writeln!(lines, "restarting the chip");
                }
                _ => {}
            }
        }
        match action {
            Action::RestartCore1 { .. } => match st.core.restart() {
                Ok(_) => {
                    let now = st.core.regs().now_us();
                    let beat = st.core.heartbeat();
                    st.supervisor.restarted(now, beat);
                    SPLITCORE_SUPERVISE_RESTARTED
                }
                Err(e) => start_error_code(e),
            },
            Action::GiveUp(_) => {
                st.core.stop();
                SPLITCORE_SUPERVISE_GAVE_UP
            }
            Action::RestartChip(_) => SPLITCORE_SUPERVISE_RESTART_CHIP,
            _ => SPLITCORE_SUPERVISE_REPORTED,
        }
    })
}

/// Hands peripherals to core 1 before it starts: enables their bus clocks and releases their
/// resets (`SYSTEM_PERIP_CLK_EN0_REG` / `SYSTEM_PERIP_RST_EN0_REG`, and the CPU_PERI pair for
/// the dedicated GPIO). `mask` is a combination of `SPLITCORE_PERIPH_*`. Core 0 must not use
/// these peripherals afterwards. Returns `SPLITCORE_OK`, `SPLITCORE_ERR_INVALID_ARG` (unknown
/// bits), `SPLITCORE_ERR_ALREADY_RUNNING` (core 1 is not held: nothing written),
/// `SPLITCORE_ERR_BUSY` or `SPLITCORE_ERR_NO_PLATFORM`. The registers are shared with ESP-IDF's
/// drivers: call it before other tasks initialise drivers (see crates/core0/src/peripherals.rs).
#[no_mangle]
pub extern "C" fn splitcore_handover_peripherals(mask: u32) -> i32 {
    let Some(set) = Peripherals::from_bits(mask) else {
        return SPLITCORE_ERR_INVALID_ARG;
    };
    // Under the state lock, so it cannot interleave with a start.
    with_state(|_| {
        let Some(mut regs) = platform::shutdown_regs() else {
            return SPLITCORE_ERR_NO_PLATFORM;
        };
        if !core1_is_held(&mut regs) {
            return SPLITCORE_ERR_ALREADY_RUNNING;
        }
        handover_peripherals(&mut regs, set);
        SPLITCORE_OK
    })
}

/// Shutdown handler (`esp_register_shutdown_handler`) and panic-path hook: stalls core 1
/// (RUNSTALL) and clears its boot address. Takes no lock; safe from any context.
#[no_mangle]
pub extern "C" fn splitcore_shutdown() {
    if let Some(mut regs) = platform::shutdown_regs() {
        crate::core1::shutdown_core1(&mut regs);
    }
}

/// Rings core 1's doorbell (FROM_CPU_INTR2). Takes no lock.
#[no_mangle]
pub extern "C" fn splitcore_ring_core1() {
    if let Some(mut regs) = platform::shutdown_regs() {
        crate::core1::ring_core1(&mut regs);
    }
}

/// Host binding of the C ABI (tests): registers, control block and log region in host memory.
#[cfg(all(not(target_arch = "xtensa"), feature = "std"))]
pub mod host {
    use std::boxed::Box;
    use std::sync::{Arc, Mutex};

    use splitcore_ipc::RegionMem;
    use splitcore_proto::control::ControlBlock;

    use crate::core1::LogRegion;
    use crate::regs::Regs;
    use crate::{LOG, LOG_LAYOUT};

    /// Shared register access (the test keeps a clone to inspect the fake).
    pub type SharedRegs = Arc<Mutex<Box<dyn Regs + Send>>>;

    /// [`Regs`] through a [`SharedRegs`].
    pub struct PlatformRegs(SharedRegs);

    impl PlatformRegs {
        fn with<T>(&self, f: impl FnOnce(&mut dyn Regs) -> T) -> T {
            let mut guard = self.0.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut **guard)
        }
    }

    impl Regs for PlatformRegs {
        fn read(&mut self, addr: u32) -> u32 {
            self.with(|r| r.read(addr))
        }
        fn write(&mut self, addr: u32, value: u32) {
            self.with(|r| r.write(addr, value))
        }
        fn delay_us(&mut self, us: u32) {
            self.with(|r| r.delay_us(us))
        }
        fn now_us(&mut self) -> u64 {
            self.with(|r| r.now_us())
        }
        fn set_appcpu_boot_addr(&mut self, addr: u32) {
            self.with(|r| r.set_appcpu_boot_addr(addr))
        }
        fn cpu_stall(&mut self, core: u32) {
            self.with(|r| r.cpu_stall(core))
        }
        fn cpu_unstall(&mut self, core: u32) {
            self.with(|r| r.cpu_unstall(core))
        }
    }

    #[derive(Clone)]
    struct Bound {
        regs: SharedRegs,
        control: &'static ControlBlock,
        log: Option<(usize, usize)>,
        entry: u32,
    }

    static BOUND: Mutex<Option<Bound>> = Mutex::new(None);

    /// What `splitcore_start` uses the first time.
    pub struct Binding {
        /// Registers.
        pub regs: PlatformRegs,
        /// Control block.
        pub control: &'static ControlBlock,
        /// Log region.
        pub log: Option<LogRegion<'static>>,
        /// Entry address.
        pub entry: u32,
    }

    /// Binds the C ABI to host memory and resets its state (the next `splitcore_start` builds
    /// a fresh handle). `log` must be a region of `LOG_LAYOUT.size()` bytes.
    ///
    /// # Safety
    /// `log`, if given, must be valid for the rest of the process and used only through
    /// regions (the test's simulated core 1 and this crate).
    pub unsafe fn bind_to(
        regs: SharedRegs,
        control: &'static ControlBlock,
        log: Option<RegionMem<'static>>,
        entry: u32,
    ) {
        let mut bound = BOUND.lock().unwrap_or_else(|e| e.into_inner());
        *bound = Some(Bound { regs, control, log: log.map(|m| (m.as_ptr() as usize, m.len())), entry });
        // Drop the old handle (and its log consumer) so the next start rebuilds it.
        while super::with_state(|state| {
            *state = None;
            0
        }) != 0
        {
            std::thread::yield_now();
        }
    }

    /// Removes the binding.
    pub fn unbind() {
        *BOUND.lock().unwrap_or_else(|e| e.into_inner()) = None;
        while super::with_state(|state| {
            *state = None;
            0
        }) != 0
        {
            std::thread::yield_now();
        }
    }

    fn bound() -> Option<Bound> {
        BOUND.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The binding (used by `splitcore_start`).
    pub fn bind() -> Option<Binding> {
        let b = bound()?;
        let log = match b.log {
            Some((ptr, len)) => Some(LogRegion {
                // SAFETY: `bind_to`'s contract: valid for the process, used only through regions.
                mem: unsafe { RegionMem::from_raw_parts(core::ptr::NonNull::new(ptr as *mut u8)?, len) },
                layout: &LOG_LAYOUT,
                channel: LOG,
            }),
            None => None,
        };
        Some(Binding { regs: PlatformRegs(b.regs), control: b.control, log, entry: b.entry })
    }

    /// The bound control block.
    pub fn control() -> Option<&'static ControlBlock> {
        bound().map(|b| b.control)
    }

    /// Registers for the lock-free paths.
    pub fn shutdown_regs() -> Option<PlatformRegs> {
        bound().map(|b| PlatformRegs(b.regs))
    }
}
