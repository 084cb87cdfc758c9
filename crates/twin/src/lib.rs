//! splitcore-twin: the generic host-twin machinery — virtual time in lockstep between an
//! emulated core 1 and a core-0 thread, a plant integrated in that time, core 1's life cycle
//! (boot, hold, crash capture), and the register seam through which splitcore-core0's [`Core1`]
//! handle starts and stops it. Nothing here knows about a particular plant: a project brings
//! its own [`Physics`] and [`Core1Program`] (the motor-position example's twin and the twin
//! runner that `splitcore new` generates both do).
//!
//! # Time
//!
//! One virtual clock ([`World`]) counts ticks of [`TICKS_PER_SECOND`] (SYSTIMER's 16 MHz) in a
//! `u64`. Only the core-1 thread moves it: while its program waits for a deadline
//! ([`TwinClock::idle_until`]) or burns modelled execution time ([`TwinClock::burn`]), and while
//! core 1 is held or parked. Each move also integrates the [`Physics`]. Core 0 grants time:
//! it calls [`World::core0_wait_until`], which lets core 1 run up to that instant and returns
//! once the world got there; core 1 never passes the last grant. So core 0 always acts at an
//! exact virtual instant while core 1 is paused between two clock reads: a run is
//! deterministic, thread scheduling changes nothing.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations)]

use std::any::Any;
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, Once};
use std::time::{Duration, Instant};

use splitcore_core0::core1::{rtc_stall_holds_core1, rtc_stalled_core1, rtc_unstalled_core1};
use splitcore_core0::regs::*;
use splitcore_core0::{Core1, LogRegion, Regs, Timing, LOG, LOG_LAYOUT};
use splitcore_exec::TimeSource;
use splitcore_hal::sim::SimState;
use splitcore_ipc::{FrameProducer, Region, RegionBuf, RegionMem};
use splitcore_proto::control::{ControlBlock, Status, PROTOCOL_VERSION};
use splitcore_proto::crash::Reason;

/// Ticks per virtual second (the ESP32-S3's SYSTIMER rate).
pub const TICKS_PER_SECOND: u32 = 16_000_000;
/// Ticks per microsecond.
pub const TICKS_PER_US: u64 = TICKS_PER_SECOND as u64 / 1_000_000;

/// The physical world the core-1 program acts on: integrated by the core-1 thread whenever
/// virtual time moves, reading the program's outputs and writing its inputs through the
/// shared [`SimState`].
pub trait Physics: Send {
    /// Advances the world from tick `from` to tick `to` (`to > from`).
    fn advance(&mut self, io: &SimState, from: u64, to: u64);
}

/// The virtual clock and the lockstep between the core-1 thread and core 0.
#[derive(Debug)]
pub struct World {
    now: AtomicU64,
    core0_until: AtomicU64,
    core0_waits_for: AtomicU64,
    /// The core-1 thread is waiting for a grant (so it is between two clock reads).
    core1_blocked: AtomicBool,
    shutdown: AtomicBool,
    core1_exited: AtomicBool,
    lock: Mutex<()>,
    cv: Condvar,
    paced: AtomicBool,
    pacing: Mutex<Option<Pacing>>,
}

#[derive(Debug, Clone, Copy)]
struct Pacing {
    origin: Instant,
    origin_ticks: u64,
    speed: f64,
}

impl Default for World {
    fn default() -> Self {
        World {
            now: AtomicU64::new(0),
            core0_until: AtomicU64::new(0),
            core0_waits_for: AtomicU64::new(u64::MAX),
            core1_blocked: AtomicBool::new(false),
            shutdown: AtomicBool::new(false),
            core1_exited: AtomicBool::new(false),
            lock: Mutex::new(()),
            cv: Condvar::new(),
            paced: AtomicBool::new(false),
            pacing: Mutex::new(None),
        }
    }
}

/// The world is shutting down: unwinds out of the core-1 program (not a crash).
#[derive(Debug)]
pub struct Shutdown;

/// Core 1 was held (RUNSTALL/reset) by core 0: unwinds out of the core-1 program at its next
/// clock read, like a stalled CPU that never executes another instruction (not a crash).
#[derive(Debug)]
pub struct HeldByCore0;

impl World {
    /// A world at tick 0, running as fast as the host allows.
    pub fn new() -> Self {
        Self::default()
    }

    /// Virtual time, ticks.
    pub fn now(&self) -> u64 {
        self.now.load(Ordering::SeqCst)
    }

    /// Virtual time, microseconds.
    pub fn now_us(&self) -> u64 {
        self.now() / TICKS_PER_US
    }

    /// Paces virtual time to `speed` × wall-clock time from now on (`None`: as fast as
    /// possible). For live use (a dashboard); headless runs leave it off.
    pub fn set_pacing(&self, speed: Option<f64>) {
        let pacing = speed.filter(|s| s.is_finite() && *s > 0.0).map(|speed| Pacing {
            origin: Instant::now(),
            origin_ticks: self.now(),
            speed,
        });
        self.paced.store(pacing.is_some(), Ordering::SeqCst);
        *self.pacing.lock().unwrap_or_else(|e| e.into_inner()) = pacing;
    }

    /// Ends the run: both sides stop waiting; the core-1 program unwinds with [`Shutdown`].
    pub fn shut_down(&self) {
        self.shutdown.store(true, Ordering::SeqCst);
        let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.cv.notify_all();
    }

    /// Whether the core-1 thread has ended (normally only after a shutdown).
    pub fn core1_exited(&self) -> bool {
        self.core1_exited.load(Ordering::SeqCst)
    }

    /// Whether [`shut_down`](Self::shut_down) was called.
    pub fn is_shut_down(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }

    /// Core 0: lets the world run to tick `t` and waits until it is there and the core-1
    /// thread is waiting for the next grant (so core 0 acts while core 1 is paused between two
    /// clock reads). Returns false if the world shut down first.
    pub fn core0_wait_until(&self, t: u64) -> bool {
        if t > self.core0_until.load(Ordering::SeqCst) {
            self.core0_until.store(t, Ordering::SeqCst);
        }
        let mut g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.cv.notify_all();
        self.core0_waits_for.store(t, Ordering::SeqCst);
        while self.now() < t || !self.core1_blocked.load(Ordering::SeqCst) {
            if self.is_shut_down() || self.core1_exited.load(Ordering::SeqCst) {
                self.core0_waits_for.store(u64::MAX, Ordering::SeqCst);
                return false;
            }
            g = self.cv.wait_timeout(g, Duration::from_millis(200)).unwrap_or_else(|e| e.into_inner()).0;
        }
        self.core0_waits_for.store(u64::MAX, Ordering::SeqCst);
        true
    }

    /// The core-1 thread: moves time to `target`, integrating `physics`, never past core 0's
    /// grant (waits for it). Returns false if the world shut down.
    fn advance_to(&self, target: u64, physics: &mut dyn FnMut(u64, u64)) -> bool {
        loop {
            let now = self.now();
            if now >= target {
                return true;
            }
            if self.is_shut_down() {
                return false;
            }
            let limit = self.core0_until.load(Ordering::SeqCst);
            if limit <= now {
                let g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
                if self.core0_until.load(Ordering::SeqCst) <= now && !self.is_shut_down() {
                    self.core1_blocked.store(true, Ordering::SeqCst);
                    self.cv.notify_all();
                    let g = self
                        .cv
                        .wait_timeout(g, Duration::from_millis(200))
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                    self.core1_blocked.store(false, Ordering::SeqCst);
                    drop(g);
                }
                continue;
            }
            let to = target.min(limit);
            physics(now, to);
            self.now.store(to, Ordering::SeqCst);
            self.pace(to);
        }
    }

    fn pace(&self, to: u64) {
        if !self.paced.load(Ordering::Relaxed) {
            return;
        }
        let pacing = *self.pacing.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = pacing {
            let virtual_s = to.saturating_sub(p.origin_ticks) as f64 / TICKS_PER_SECOND as f64;
            let due = Duration::from_secs_f64(virtual_s / p.speed);
            let elapsed = p.origin.elapsed();
            if due > elapsed + Duration::from_millis(1) {
                std::thread::sleep(due - elapsed);
            }
        }
    }
}

/// Core 1's run control, as the register model sees it.
#[derive(Debug, Default)]
pub struct CpuControl {
    released: AtomicBool,
    /// Incremented at every release: a hold-and-release between two looks of the core-1
    /// thread (core 0 passes no time in between) is still a reset.
    epoch: AtomicU32,
    boots: AtomicU32,
}

impl CpuControl {
    /// Whether core 1 may execute.
    pub fn released(&self) -> bool {
        self.released.load(Ordering::SeqCst)
    }

    /// Releases so far.
    pub fn epoch(&self) -> u32 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Whether the run that began at release `epoch` may go on.
    fn still_running(&self, epoch: u32) -> bool {
        self.released() && self.epoch() == epoch
    }

    fn set_released(&self, can_run: bool) {
        if can_run && !self.released.load(Ordering::SeqCst) {
            self.epoch.fetch_add(1, Ordering::SeqCst);
        }
        self.released.store(can_run, Ordering::SeqCst);
    }

    /// Boots so far.
    pub fn boots(&self) -> u32 {
        self.boots.load(Ordering::SeqCst)
    }
}

/// The core-0 register seam of the twin: the core-1 control bits (RUNSTALL, RESETING, the RTC
/// software stall) modelled like the chip, driving the emulated core 1; time is the world's.
#[derive(Debug)]
pub struct TwinRegs {
    world: Arc<World>,
    cpu: Arc<CpuControl>,
    control_0: u32,
    control_1: u32,
    rtc_options0: u32,
    rtc_sw_cpu_stall: u32,
    doorbells: [u32; 4],
    /// Time core 0 waited after the world stopped (core 1's thread gone or shut down): core 0's
    /// own clock keeps going, so its timeouts still expire.
    orphan_us: u64,
}

impl TwinRegs {
    /// Registers as a `CONFIG_FREERTOS_UNICORE` boot leaves them (core 1 held by RUNSTALL).
    pub fn new(world: Arc<World>, cpu: Arc<CpuControl>) -> Self {
        TwinRegs {
            world,
            cpu,
            control_0: RUNSTALL,
            control_1: 0,
            rtc_options0: 0,
            rtc_sw_cpu_stall: 0,
            doorbells: [0; 4],
            orphan_us: 0,
        }
    }

    fn update(&mut self) {
        let can_run = self.control_0 & (RUNSTALL | RESETING) == 0
            && !rtc_stall_holds_core1(self.rtc_sw_cpu_stall, self.rtc_options0);
        self.cpu.set_released(can_run);
    }
}

impl Regs for TwinRegs {
    fn read(&mut self, addr: u32) -> u32 {
        match addr {
            CORE_1_CONTROL_0 => self.control_0,
            CORE_1_CONTROL_1 => self.control_1,
            RTC_CNTL_OPTIONS0 => self.rtc_options0,
            RTC_CNTL_SW_CPU_STALL => self.rtc_sw_cpu_stall,
            a if (FROM_CPU_INTR_BASE..FROM_CPU_INTR_BASE + 16).contains(&a) => {
                self.doorbells[((a - FROM_CPU_INTR_BASE) / 4) as usize]
            }
            _ => 0,
        }
    }

    fn write(&mut self, addr: u32, value: u32) {
        match addr {
            CORE_1_CONTROL_0 => self.control_0 = value,
            CORE_1_CONTROL_1 => self.control_1 = value,
            RTC_CNTL_OPTIONS0 => self.rtc_options0 = value,
            RTC_CNTL_SW_CPU_STALL => self.rtc_sw_cpu_stall = value,
            a if (FROM_CPU_INTR_BASE..FROM_CPU_INTR_BASE + 16).contains(&a) => {
                self.doorbells[((a - FROM_CPU_INTR_BASE) / 4) as usize] = value
            }
            _ => {}
        }
        self.update();
    }

    fn delay_us(&mut self, us: u32) {
        let t = self.world.now() + us as u64 * TICKS_PER_US;
        if !self.world.core0_wait_until(t) {
            self.orphan_us += us.max(1) as u64;
        }
    }

    fn now_us(&mut self) -> u64 {
        self.world.now_us() + self.orphan_us
    }

    fn set_appcpu_boot_addr(&mut self, addr: u32) {
        self.control_1 = addr;
    }

    fn cpu_stall(&mut self, core: u32) {
        if core == 1 {
            (self.rtc_sw_cpu_stall, self.rtc_options0) =
                rtc_stalled_core1(self.rtc_sw_cpu_stall, self.rtc_options0);
            self.update();
        }
    }

    fn cpu_unstall(&mut self, core: u32) {
        if core == 1 {
            (self.rtc_sw_cpu_stall, self.rtc_options0) =
                rtc_unstalled_core1(self.rtc_sw_cpu_stall, self.rtc_options0);
            self.update();
        }
    }
}

/// The core-1 program's clock: a [`TimeSource`] on the world's virtual time. Waiting and
/// burning time integrate the physics; every read unwinds with [`HeldByCore0`] once core 0
/// holds core 1, and with [`Shutdown`] when the world ends.
pub struct TwinClock<'a> {
    world: &'a World,
    cpu: &'a CpuControl,
    epoch: u32,
    io: &'a SimState,
    physics: &'a RefCell<Box<dyn Physics>>,
}

impl std::fmt::Debug for TwinClock<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwinClock").field("now", &self.world.now()).finish_non_exhaustive()
    }
}

impl TwinClock<'_> {
    fn check(&self) {
        if self.world.is_shut_down() {
            panic::resume_unwind(Box::new(Shutdown));
        }
        if !self.cpu.still_running(self.epoch) {
            panic::resume_unwind(Box::new(HeldByCore0));
        }
    }

    fn advance(&self, target: u64) {
        let mut physics = self.physics.borrow_mut();
        let io = self.io;
        let ok = self.world.advance_to(target, &mut |from, to| physics.advance(io, from, to));
        drop(physics);
        if !ok {
            panic::resume_unwind(Box::new(Shutdown));
        }
        self.check();
    }

    /// Models `ticks` of execution: time passes (and the plant moves) while core 1 computes.
    pub fn burn(&self, ticks: u32) {
        self.check();
        self.advance(self.world.now() + ticks as u64);
    }

    /// Virtual time in microseconds, wrapping like a `u32` microsecond counter.
    pub fn now_us(&self) -> u32 {
        self.world.now_us() as u32
    }
}

impl TimeSource for TwinClock<'_> {
    fn now(&self) -> u32 {
        self.check();
        self.world.now() as u32
    }

    fn ticks_per_second(&self) -> u32 {
        TICKS_PER_SECOND
    }

    fn idle_until(&self, deadline: u32) {
        let now = self.world.now();
        let ahead = deadline.wrapping_sub(now as u32) as i32;
        if ahead > 0 {
            self.advance(now + ahead as u64);
        } else {
            self.check();
        }
    }
}

/// A fault core 0 (the test or the dashboard) injects into core 1's program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InjectedFault {
    /// The program panics at its next check.
    Panic,
    /// The program's loop stalls (spins forever without a heartbeat) at its next check.
    Stall,
}

/// Faults waiting for the core-1 program to pick them up.
#[derive(Debug, Default)]
pub struct FaultLatch {
    panic: AtomicBool,
    stall: AtomicBool,
}

impl FaultLatch {
    /// Arms `fault`.
    pub fn inject(&self, fault: InjectedFault) {
        match fault {
            InjectedFault::Panic => self.panic.store(true, Ordering::SeqCst),
            InjectedFault::Stall => self.stall.store(true, Ordering::SeqCst),
        }
    }

    fn take(&self) -> Option<InjectedFault> {
        if self.panic.swap(false, Ordering::SeqCst) {
            Some(InjectedFault::Panic)
        } else if self.stall.swap(false, Ordering::SeqCst) {
            Some(InjectedFault::Stall)
        } else {
            None
        }
    }
}

/// What a core-1 program sees of its machine: the runtime's services (heartbeat, stop
/// request, log, boot count), the peripherals ([`SimState`]), the clock and the shared
/// region.
pub struct Core1Env<'a> {
    clock: TwinClock<'a>,
    control: &'a ControlBlock,
    app_region: RegionMem<'a>,
    log: RefCell<Option<FrameProducer<'a>>>,
    faults: &'a FaultLatch,
}

impl std::fmt::Debug for Core1Env<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core1Env").field("clock", &self.clock).finish_non_exhaustive()
    }
}

impl<'a> Core1Env<'a> {
    /// The clock.
    pub fn clock(&self) -> &TwinClock<'a> {
        &self.clock
    }

    /// The peripherals.
    pub fn io(&self) -> &'a SimState {
        self.clock.io
    }

    /// The application's shared region (core 0 initialises it; attach with your layout).
    pub fn app_region(&self) -> RegionMem<'a> {
        self.app_region
    }

    /// `splitcore_rt::heartbeat()`.
    pub fn heartbeat(&self) {
        let beat = self.control.heartbeat.load(Ordering::Relaxed).wrapping_add(1);
        self.control.heartbeat.store(beat, Ordering::Release);
    }

    /// `splitcore_rt::stop_requested()`: the first time it is seen, the status becomes
    /// `Stopping`.
    pub fn stop_requested(&self) -> bool {
        if self.control.stop_request.load(Ordering::Acquire) == 0 {
            return false;
        }
        let _ = self.control.transition(Status::Stopping);
        true
    }

    /// `splitcore_rt::boot_count()`.
    pub fn boot_count(&self) -> u32 {
        self.control.boot_count.load(Ordering::Relaxed)
    }

    /// `splitcore_rt::println!`: one frame per line into the log ring; dropped and counted
    /// when the ring is full, never blocking.
    pub fn println(&self, line: &str) {
        let mut log = self.log.borrow_mut();
        let sent = match log.as_mut() {
            Some(producer) => {
                let max = producer.max_frame_len();
                let mut end = line.len().min(max);
                while !line.is_char_boundary(end) {
                    end -= 1;
                }
                producer.send(&line.as_bytes()[..end]).is_ok()
            }
            None => false,
        };
        if !sent {
            self.control.log_dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Checks for an injected fault and acts on it: panics, or stalls for good (burning
    /// time without a heartbeat until core 0 holds core 1). Call it where the program would
    /// misbehave, e.g. at the top of its control step (a panic names the caller's location).
    #[track_caller]
    pub fn fault_point(&self) {
        match self.faults.take() {
            Some(InjectedFault::Panic) => panic!("injected fault: control step panicked"),
            Some(InjectedFault::Stall) => loop {
                self.clock.burn(800);
            },
            None => {}
        }
    }
}

/// A core-1 program: what `splitcore_rt::entry!` names on the target. It runs until it
/// returns (after [`Core1Env::stop_requested`]), panics (a crash record is left for core 0),
/// or core 0 holds the core. It is started afresh on every boot.
pub trait Core1Program: Send {
    /// The program's body.
    fn main(&mut self, env: &Core1Env<'_>);
}

/// Everything the core-1 thread shares with core 0.
pub struct Core1Machine<'a> {
    /// The virtual clock.
    pub world: &'a World,
    /// Run control (driven by [`TwinRegs`]).
    pub cpu: &'a CpuControl,
    /// The peripherals.
    pub io: &'a SimState,
    /// The runtime's control block.
    pub control: &'a ControlBlock,
    /// The runtime's log region (core 0 re-initialises it before each start).
    pub log_region: RegionMem<'a>,
    /// The application's region.
    pub app_region: RegionMem<'a>,
    /// Injected faults.
    pub faults: &'a FaultLatch,
}

impl std::fmt::Debug for Core1Machine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core1Machine")
            .field("world", self.world)
            .field("cpu", self.cpu)
            .finish_non_exhaustive()
    }
}

thread_local! {
    static LAST_PANIC: RefCell<Option<(String, String, u32)>> = const { RefCell::new(None) };
}

/// Name prefix of emulated core-1 threads: their panics are captured into crash records
/// instead of being printed.
pub const CORE1_THREAD_PREFIX: &str = "twin-core1";

/// Installs (once per process) a panic hook that records panics on emulated core-1 threads
/// for the crash record and forwards every other panic to the previous hook.
pub fn install_panic_capture() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let on_core1 = std::thread::current().name().is_some_and(|n| n.starts_with(CORE1_THREAD_PREFIX));
            if !on_core1 {
                previous(info);
                return;
            }
            let message = if let Some(s) = info.payload().downcast_ref::<&str>() {
                (*s).to_string()
            } else if let Some(s) = info.payload().downcast_ref::<String>() {
                s.clone()
            } else {
                "Box<dyn Any>".to_string()
            };
            let (file, line) =
                info.location().map_or((String::new(), 0), |l| (l.file().to_string(), l.line()));
            LAST_PANIC.with(|p| *p.borrow_mut() = Some((message, file, line)));
        }));
    });
}

/// Runs the emulated core 1 until the world shuts down: waits while held, boots the program
/// when released (handshake, log attach), records a crash when it panics, parks after it
/// returns or crashes. Call it on a thread named with [`CORE1_THREAD_PREFIX`].
pub fn run_core1(m: &Core1Machine<'_>, program: &mut dyn Core1Program, physics: Box<dyn Physics>) {
    /// Tells core 0 that core 1's thread is gone, however it ends (a panicking `Physics`
    /// included), so core 0 never waits for a grant that cannot come.
    struct Exited<'a>(&'a World);
    impl Drop for Exited<'_> {
        fn drop(&mut self) {
            self.0.core1_exited.store(true, Ordering::SeqCst);
            let _g = self.0.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.0.cv.notify_all();
        }
    }
    let _exited = Exited(m.world);
    install_panic_capture();
    let physics = RefCell::new(physics);
    let idle = |target: u64| {
        let mut p = physics.borrow_mut();
        m.world.advance_to(target, &mut |from, to| p.advance(m.io, from, to))
    };
    const QUANTUM: u64 = 50 * TICKS_PER_US;
    'life: loop {
        // Held: time goes on.
        while !m.cpu.released() {
            if !idle(m.world.now() + QUANTUM) {
                break 'life;
            }
        }
        m.cpu.boots.fetch_add(1, Ordering::SeqCst);
        let epoch = m.cpu.epoch();
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| boot(m, program, &physics, epoch)));
        match outcome {
            Ok(()) => {}
            Err(payload) if is_control_unwind(&*payload) => {}
            Err(_) => {
                let (message, file, line) = LAST_PANIC
                    .with(|p| p.borrow_mut().take())
                    .unwrap_or_else(|| ("panic".to_string(), String::new(), 0));
                m.control.record_crash(|r| {
                    r.reason = Reason::Panic as u32;
                    r.set_message(&message);
                    r.set_location(&file, line);
                    // No Xtensa registers on the host: PC, registers and backtrace stay zero.
                });
            }
        }
        if m.world.is_shut_down() {
            break;
        }
        // Parked (returned, crashed, or held): until core 0 holds (and maybe releases) again.
        while m.cpu.still_running(epoch) {
            if !idle(m.world.now() + QUANTUM) {
                break 'life;
            }
        }
    }
}

fn is_control_unwind(payload: &(dyn Any + Send)) -> bool {
    payload.is::<HeldByCore0>() || payload.is::<Shutdown>()
}

/// One boot: what `splitcore_rt_start` does before and after the user's function.
fn boot(
    m: &Core1Machine<'_>,
    program: &mut dyn Core1Program,
    physics: &RefCell<Box<dyn Physics>>,
    epoch: u32,
) {
    let log = Region::attach(m.log_region, &LOG_LAYOUT).and_then(|r| r.frame_producer(LOG)).ok();
    if m.control.attach(PROTOCOL_VERSION).is_err() {
        return; // `Incompatible` is published: park.
    }
    let env = Core1Env {
        clock: TwinClock { world: m.world, cpu: m.cpu, epoch, io: m.io, physics },
        control: m.control,
        app_region: m.app_region,
        log: RefCell::new(log),
        faults: m.faults,
    };
    program.main(&env);
    let _ = m.control.transition(Status::Stopping);
    let _ = m.control.transition(Status::Stopped);
}

/// The address core 0 hands to the ROM (the runtime's `splitcore_core1_entry`; only recorded
/// in the twin).
pub const ENTRY: u32 = 0x4037_8000;

/// A twin machine: everything both cores share — virtual time, core 1's run control, the
/// simulated peripherals, the runtime's control block and log region, and an application
/// region of `N` bytes (`RegionBuf<{ LAYOUT.size() }>`) — plus the injected-fault latch.
///
/// ```
/// use splitcore_twin::*;
/// use splitcore_core0::Timing;
///
/// struct Blink;
/// impl Core1Program for Blink {
///     fn main(&mut self, env: &Core1Env<'_>) {
///         env.println("blink up");
///         while !env.stop_requested() {
///             env.heartbeat();
///             env.clock().burn(16_000); // 1 ms
///         }
///     }
/// }
/// struct Nothing;
/// impl Physics for Nothing {
///     fn advance(&mut self, _: &splitcore_hal::sim::SimState, _: u64, _: u64) {}
/// }
///
/// let machine = Machine::<256>::new();
/// let core1 = machine.spawn_core1("blink", Blink, Box::new(Nothing)).unwrap();
/// let mut core = machine.core1_handle(Timing::default()).expect("the first handle");
/// machine.world.core0_wait_until(0);
/// core.start().unwrap();
/// machine.world.core0_wait_until(10 * 16_000); // 10 ms later
/// assert!(core.heartbeat() >= 9);
/// core.stop();
/// machine.world.shut_down();
/// core1.join().unwrap();
/// ```
pub struct Machine<const N: usize> {
    /// The virtual clock.
    pub world: Arc<World>,
    /// Core 1's run control.
    pub cpu: Arc<CpuControl>,
    /// The peripherals.
    pub io: SimState,
    /// The runtime's control block.
    pub control: ControlBlock,
    /// Faults for the core-1 program to pick up.
    pub faults: FaultLatch,
    log: Box<RegionBuf<{ LOG_LAYOUT.size() }>>,
    app: Box<RegionBuf<N>>,
    handle_taken: AtomicBool,
}

impl<const N: usize> std::fmt::Debug for Machine<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Machine").field("world", &self.world).field("cpu", &self.cpu).finish_non_exhaustive()
    }
}

impl<const N: usize> Machine<N> {
    /// A machine at tick 0 with core 1 held.
    pub fn new() -> Arc<Self> {
        Arc::new(Machine {
            world: Arc::new(World::new()),
            cpu: Arc::new(CpuControl::default()),
            io: SimState::new(),
            control: ControlBlock::new(),
            faults: FaultLatch::default(),
            log: RegionBuf::new_boxed(),
            app: RegionBuf::new_boxed(),
            handle_taken: AtomicBool::new(false),
        })
    }

    /// The application region (core 0 initialises it with its layout).
    pub fn app_region(&self) -> &RegionBuf<N> {
        &self.app
    }

    /// Starts the emulated core 1 on its own thread (named `twin-core1-<name>`), running
    /// `program` on every boot and integrating `physics` in virtual time. It ends when the
    /// world shuts down.
    pub fn spawn_core1(
        self: &Arc<Self>,
        name: &str,
        mut program: impl Core1Program + 'static,
        physics: Box<dyn Physics>,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        let m = self.clone();
        std::thread::Builder::new().name(format!("{CORE1_THREAD_PREFIX}-{name}")).spawn(move || {
            let machine = Core1Machine {
                world: &m.world,
                cpu: &m.cpu,
                io: &m.io,
                control: &m.control,
                log_region: RegionMem::from(&*m.log),
                app_region: RegionMem::from(&*m.app),
                faults: &m.faults,
            };
            run_core1(&machine, &mut program, physics);
        })
    }

    /// Core 0's handle on the emulated core 1 (splitcore-core0's [`Core1`] over [`TwinRegs`],
    /// with the log region): `None` after the first call, as only one handle may own the log
    /// ring's consumer end.
    pub fn core1_handle(&self, timing: Timing) -> Option<Core1<'_, TwinRegs>> {
        if self.handle_taken.swap(true, Ordering::SeqCst) {
            return None;
        }
        let regs = TwinRegs::new(self.world.clone(), self.cpu.clone());
        let log = LogRegion { mem: RegionMem::from(&*self.log), layout: &LOG_LAYOUT, channel: LOG };
        // SAFETY: `handle_taken` makes this the only handle, and nothing else on core 0's side
        // creates endpoints on the log region (it is private to the machine); the control block
        // and log region are exactly the ones the emulated core 1 (`spawn_core1`) uses.
        Some(unsafe { Core1::new(regs, &self.control, Some(log), ENTRY, timing) })
    }
}
