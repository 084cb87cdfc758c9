//! The two-core demo (`cargo xtask demo`). Core 0 plays the ESP-IDF application; core 1 is
//! handed to bare-metal Rust through a ROM-style boot and runs a 1 kHz PI control loop on the
//! splitcore runtime. The cores talk only through splitcore-ipc channels and the runtime's
//! control block. Core 0 narrates: boot and handshake, setpoint changes and the telemetry that
//! answers them, core 1's log lines, a fault injected into core 1 and the crash report it leaves,
//! a restart, and a cooperative stop.
#![no_std]

use core::sync::atomic::{AtomicU32, Ordering};

use splitcore_ipc::{
    ChannelId, FrameConsumer, Layout, LayoutBuilder, Mailbox, MailboxWriter, Region, RegionBuf, Ring,
    RingConsumer,
};
use splitcore_rt::log::{LOG, LOG_LAYOUT, SPLITCORE_LOG_REGION};
use splitcore_rt::{control, CrashRecord, Reason, Status, PROTOCOL_VERSION};
use splitcore_target_test::{board, println};

/// Core 0 -> core 1: what the loop should do.
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
struct Setpoint {
    target: f32,
    kp: f32,
    ki: f32,
    /// Non-zero: core 1 divides by zero (the demo's injected fault).
    fault: u32,
}

/// Core 1 -> core 0: one telemetry sample every 10 ms.
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
struct Sample {
    tick: u32,
    setpoint: f32,
    output: f32,
    command: f32,
}

const LAYOUT: Layout =
    LayoutBuilder::new().mailbox::<Setpoint>("setpoint").ring::<Sample>("telemetry", 64).build();
const SETPOINT: ChannelId<Mailbox<Setpoint>> = LAYOUT.mailbox_id("setpoint");
const TELEMETRY: ChannelId<Ring<Sample>> = LAYOUT.ring_id("telemetry");
static DEMO_REGION: RegionBuf<{ LAYOUT.size() }> = RegionBuf::new();

/// CCOUNT runs at 40 MHz on the emulated board (it follows host time without -icount).
const CYCLES_PER_MS: u32 = 40_000;

// ---- core 1 -------------------------------------------------------------------------------------

fn control_loop() {
    let Ok(region) = Region::attach(&DEMO_REGION, &LAYOUT) else {
        splitcore_rt::println!("demo region not ready: stopping");
        return;
    };
    let (Ok(setpoints), Ok(mut telemetry)) =
        (region.mailbox_reader(SETPOINT), region.ring_producer(TELEMETRY))
    else {
        splitcore_rt::println!("demo channels already claimed: stopping");
        return;
    };
    splitcore_rt::println!(
        "control loop up (boot #{}): 1 kHz PI on a first-order plant, tau 50 ms",
        splitcore_rt::boot_count()
    );
    let (dt, tau) = (0.001f32, 0.05f32);
    let (mut output, mut integral, mut tick) = (0.0f32, 0.0f32, 0u32);
    let mut setpoint = Setpoint { target: 0.0, kp: 0.0, ki: 0.0, fault: 0 };
    let mut next = splitcore_rt::ccount().wrapping_add(CYCLES_PER_MS);
    loop {
        while (splitcore_rt::ccount().wrapping_sub(next) as i32) < 0 {}
        next = next.wrapping_add(CYCLES_PER_MS);
        if let Ok(Some(latest)) = setpoints.read() {
            if latest.target.to_bits() != setpoint.target.to_bits() {
                splitcore_rt::println!("tick {}: new setpoint {:.2}", tick, latest.target);
            }
            setpoint = latest;
        }
        if setpoint.fault != 0 {
            let divisor = core::hint::black_box(setpoint.fault - 1);
            core::hint::black_box(tick / divisor);
        }
        let error = setpoint.target - output;
        integral += setpoint.ki * error * dt;
        let command = setpoint.kp * error + integral;
        output += (command - output) * dt / tau;
        if tick % 10 == 0 {
            let _ = telemetry.push(Sample { tick, setpoint: setpoint.target, output, command });
        }
        tick += 1;
        splitcore_rt::heartbeat();
        if splitcore_rt::stop_requested() {
            splitcore_rt::println!("stop requested at tick {}: leaving the loop", tick);
            return;
        }
    }
}

splitcore_rt::entry!(control_loop);

// ---- core 0 -------------------------------------------------------------------------------------

/// Bytes as lowercase hex.
struct Hex<'b>(&'b [u8]);

impl core::fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

static FAILURES: AtomicU32 = AtomicU32::new(0);
static PASSES: AtomicU32 = AtomicU32::new(0);

fn expect(ok: bool, what: &str) {
    if ok {
        PASSES.fetch_add(1, Ordering::Relaxed);
        println!("  ok: {}", what);
    } else {
        FAILURES.fetch_add(1, Ordering::Relaxed);
        println!("  NOT OK: {}", what);
    }
}

struct Core0 {
    setpoint: MailboxWriter<'static, Setpoint>,
    telemetry: RingConsumer<'static, Sample>,
    log: FrameConsumer<'static>,
    last: Option<Sample>,
}

impl Core0 {
    /// (Re)initialises both regions and claims core 0's ends; core 1 must not be running.
    fn prepare() -> Option<Core0> {
        // SAFETY: core 1 is parked or not started, and core 0 dropped its earlier endpoints.
        let demo = unsafe { Region::reinit(&DEMO_REGION, &LAYOUT) }.ok()?;
        // SAFETY: as above, for the log region.
        let log_region = unsafe { Region::reinit(&SPLITCORE_LOG_REGION, &LOG_LAYOUT) }.ok()?;
        Some(Core0 {
            setpoint: demo.mailbox_writer(SETPOINT).ok()?,
            telemetry: demo.ring_consumer(TELEMETRY).ok()?,
            log: log_region.frame_consumer(LOG).ok()?,
            last: None,
        })
    }

    /// Forwards core 1's log lines and keeps the latest telemetry sample, for `ms` milliseconds.
    fn run_for(&mut self, ms: u32) {
        let start = board::ccount();
        let mut line = [0u8; 200];
        while board::ccount().wrapping_sub(start) < ms * CYCLES_PER_MS {
            while let Ok(Some(len)) = self.log.recv(&mut line) {
                println!("  core 1 | {}", core::str::from_utf8(&line[..len]).unwrap_or("<not UTF-8>"));
            }
            while let Ok(Some(sample)) = self.telemetry.pop() {
                self.last = Some(sample);
            }
        }
    }

    fn set(&mut self, target: f32, fault: u32) {
        self.setpoint.write(&Setpoint { target, kp: 2.0, ki: 20.0, fault });
    }

    fn wait_status(&mut self, wanted: Status, ms: u32) -> bool {
        for _ in 0..ms / 10 {
            if control().status() == Some(wanted) {
                return true;
            }
            self.run_for(10);
        }
        control().status() == Some(wanted)
    }
}

fn boot_core1(first: bool) -> Option<Core0> {
    let core0 = Core0::prepare()?;
    control().prepare(PROTOCOL_VERSION);
    if first {
        board::boot_core1(splitcore_rt::splitcore_core1_entry);
    } else {
        board::reset_core1();
    }
    Some(core0)
}

fn settle(core0: &mut Core0, target: f32) {
    println!("\ncore 0: setpoint -> {:.2}; 400 ms of telemetry:", target);
    core0.set(target, 0);
    core0.run_for(400);
    match core0.last {
        Some(s) => {
            println!(
                "  latest sample: tick {} setpoint {:.2} output {:.3} command {:.3}",
                s.tick, s.setpoint, s.output, s.command
            );
            expect((s.output - target).abs() < 0.05, "the output settled within 0.05 of the setpoint");
        }
        None => expect(false, "telemetry arrived"),
    }
}

#[no_mangle]
pub extern "C" fn board_main() -> ! {
    println!("splitcore two-core demo on emulated Xtensa cores (qemu-system-xtensa -cpu de233_fpu -smp 2)");
    println!("\ncore 0 (the ESP-IDF side): control block prepared, regions initialised;");
    println!(
        "  handing boot address 0x{:08x} (splitcore_core1_entry) to the core-1 ROM stand-in",
        splitcore_rt::splitcore_core1_entry as unsafe extern "C" fn() as usize
    );
    let Some(mut core0) = boot_core1(true) else {
        println!("could not initialise the shared regions");
        board::exit(1)
    };
    expect(core0.wait_status(Status::Running, 2000), "core 1 completed the handshake (status Running)");
    let (lo, hi) = (control().stack_lo.load(Ordering::Relaxed), control().stack_hi.load(Ordering::Relaxed));
    println!(
        "  core 1 runs on its own stack [0x{:x}, 0x{:x}); ROM stack words touched: {}",
        lo,
        hi,
        board::rom_stack_words_modified()
    );
    expect(board::rom_stack_words_modified() == 0, "no ROM-stack word was written by core 1");

    settle(&mut core0, 1.0);
    settle(&mut core0, -0.5);
    let beat = control().heartbeat.load(Ordering::Acquire);
    core0.run_for(100);
    let beats = control().heartbeat.load(Ordering::Acquire).wrapping_sub(beat);
    println!("\ncore 0: heartbeat advanced {} times in 100 ms (1 kHz loop)", beats);
    expect(beats > 50, "the heartbeat advances");

    println!("\ncore 0: injecting a fault (core 1 will divide by zero: a Rust panic)");
    core0.set(-0.5, 1);
    let crashed = core0.wait_status(Status::Crashed, 2000);
    expect(crashed, "core 1 reported a crash (status Crashed)");
    match CrashRecord::decode(&control().crash_bytes()) {
        Ok(crash) => {
            println!("core 0: crash report from core 1, printed the way ESP-IDF prints its own:\n");
            println!("{}", crash);
            println!("crash record (hex, for `splitcore decode`): {}", Hex(&control().crash_bytes()));
            expect(
                crash.reason == Reason::Panic && crash.message().0 == "attempt to divide by zero",
                "the crash record holds the panic message",
            );
            expect(crash.file().ends_with("demo/src/lib.rs"), "the crash record holds the panic location");
            expect(crash.backtrace().len() >= 3, "the crash record has a backtrace");
        }
        Err(e) => {
            println!("  crash record: {}", e);
            expect(false, "the crash record decodes");
        }
    }

    println!("core 0: restarting core 1 (reset, ROM stand-in, trampoline, handshake)");
    drop(core0);
    let Some(mut core0) = boot_core1(false) else {
        println!("could not re-initialise the shared regions");
        board::exit(1)
    };
    expect(core0.wait_status(Status::Running, 2000), "core 1 is running again");
    settle(&mut core0, 0.25);

    println!("\ncore 0: asking core 1 to stop");
    control().stop_request.store(1, Ordering::Release);
    expect(core0.wait_status(Status::Stopped, 2000), "core 1 stopped cleanly (status Stopped)");
    core0.run_for(20);
    println!(
        "  core 1 stack high-water mark: {} of {} bytes; log lines dropped: {}",
        control().stack_high_water.load(Ordering::Relaxed),
        hi - lo,
        control().log_dropped.load(Ordering::Relaxed)
    );
    let failures = FAILURES.load(Ordering::Relaxed);
    println!("\ndemo: {} passed, {} failed", PASSES.load(Ordering::Relaxed), failures);
    board::exit(if failures == 0 { 0 } else { 1 })
}
