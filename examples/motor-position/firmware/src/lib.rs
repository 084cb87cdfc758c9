//! Core 1 of the motor-position example on the ESP32-S3: the staticlib the ESP-IDF app in
//! `../idf` links (with the splitcore runtime, splitcore-core0's C ABI and splitcore-ipc's C
//! ABI in the same archive).
//!
//! At every boot of core 1 it
//! 1. wires the controller to the peripherals of `motor_position_board::pins::BOARD`
//!    (bridge enable driven low first: a crashed previous run may have left it on);
//! 2. takes the runtime's `CycleClock` (CCOUNT + `WAITI` on CCOMPARE0, see [`CPU_HZ`] for why
//!    this time source) and checks the CPU clock against SYSTIMER;
//! 3. attaches to the region the app defines (`motor_position_region`) with
//!    `protocol::LAYOUT` and claims core 1's ends of its channels;
//! 4. runs `motor_position_board::program::run`: the example's `App` every period at 20 kHz,
//!    loop statistics to `loop_stats` at 20 Hz, a heartbeat every period, notices as log lines,
//!    the bridge kept off on a driver fault (nFAULT), a failed peripheral write or an ADC
//!    fault, and the bridge switched off when core 0 asks core 1 to stop.
//!
//! When a step fails (pins, clock, region, channels) it logs why and keeps beating with the
//! bridge off until core 0 stops it.
//!
//! Built for Xtensa only (`cargo xtask build`, or the ESP-IDF build); it cannot run here: there
//! is no ESP32-S3 on the development machines and QEMU models none of its peripherals. The
//! logic it runs is host-tested in `motor-position-board`.

#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]

use core::fmt;
use core::ptr::{addr_of_mut, NonNull};

use motor_position_board::fault::FaultGuard;
use motor_position_board::pins::BOARD;
use motor_position_board::program::{self, Core1};
use motor_position_board::time::measure_cpu_hz;
use motor_position_board::wiring::{self, MotorController, WiringError};
use motor_position_control::protocol::LAYOUT;
use motor_position_control::{App, ControllerConfig, Ports};
use splitcore_exec::{FnTimeSource, TimeSource};
use splitcore_hal_esp32s3::systimer::CounterUnit;
use splitcore_hal_esp32s3::{Blocks, Chip, PsramMode};
use splitcore_ipc::{Region, RegionMem};
use splitcore_rt::timer::CycleClock;

// Link the core-0 C ABI (splitcore.h) into this archive: the component's glue calls it.
use splitcore_core0 as _;

/// Core 1's clock: 240 MHz, which the component's `sdkconfig.defaults` fixes
/// (`CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ_240`, power management and DFS off) and which the program
/// checks against SYSTIMER at boot.
///
/// Time source: the runtime's `CycleClock` (CCOUNT, sleeping in `WAITI` until CCOMPARE0), not
/// SYSTIMER. CCOUNT is a core register: reading it costs one instruction and no bus access,
/// while a SYSTIMER read is a snapshot handshake over APB (a read-modify-write of
/// `UNIT0_OP`, polling `VALUE_VALID`, reading the value) on the very counter unit ESP-IDF's
/// `esp_timer` reads on core 0. The executive reads the time at least twice a period, and a
/// polling wait on SYSTIMER would hammer that handshake and the APB bus all the time; with
/// `CycleClock` core 1 sleeps between periods and wakes on its own timer interrupt. SYSTIMER's
/// advantage, independence from the CPU clock, does not matter with the clock fixed; the boot
/// check turns a wrong clock into a log line and a bridge that stays off instead of a loop
/// at the wrong rate. CCOUNT wraps every 17.9 s; the executive's arithmetic is wrap-safe and
/// telemetry time stamps are carried to microseconds (`motor_position_board::time::Micros`).
pub const CPU_HZ: u32 = 240_000_000;

/// Bytes of `motor_position_region` (`MOTOR_REGION_BYTES` in `../idf/main/app_main.c`).
pub const REGION_BYTES: usize = 8192;

const _: () = assert!(LAYOUT.size() <= REGION_BYTES, "the protocol's region does not fit the app's buffer");
const _: () = assert!(LAYOUT.align() <= 16, "the app aligns the region to 16 bytes");

extern "C" {
    /// The shared region, defined (16-byte aligned, in `.bss`: internal DRAM) and initialised
    /// by the ESP-IDF app before it starts core 1. `static mut`: core 0 writes it.
    static mut motor_position_region: [u8; REGION_BYTES];
}

/// The runtime's services for the program.
struct Runtime;

impl Core1 for Runtime {
    fn heartbeat(&self) {
        splitcore_rt::heartbeat();
    }

    fn stop_requested(&self) -> bool {
        splitcore_rt::stop_requested()
    }

    fn log(&self, line: fmt::Arguments<'_>) {
        splitcore_rt::log::write_line(line);
    }
}

/// The peripherals for this boot.
///
/// Not `Chip::take`: its once-per-power-on flag lives in `.bss`, which nobody clears when core
/// 0 restarts core 1, so a restarted program would never get its peripherals back.
fn chip_for_this_boot() -> Chip<'static> {
    let blocks = Blocks::hardware();
    // SAFETY: this is the only `Chip` on these blocks: `main` calls this function once per
    // boot of core 1, and the previous boot's drivers died with it (core 0 resets core 1
    // before it starts it again). Core 0 handed MCPWM0, PCNT, APB_SARADC and SYSTIMER over and
    // does not use them; of the GPIO and IO_MUX blocks the drivers write only the registers of
    // the claimed pins and of the signals routed to them, and the write-1-to-set/clear words;
    // of SYSTIMER only unit 0's snapshot handshake is used, which esp_timer on core 0
    // tolerates (`splitcore_hal_esp32s3::systimer`), and only for the clock check at boot.
    // SENS is shared: the ADC1 driver read-modify-writes SAR_PERI_CLK_GATE_CONF,
    // SAR_POWER_XPD_SAR, SAR_MEAS1_MUX and SAR_ATTEN1, which ESP-IDF's `sar_periph_ctrl` also
    // writes (under its own lock, e.g. for Wi-Fi power detection). A lost update there makes a
    // conversion time out, and the fault guard then keeps the bridge off: safe, but the loop
    // stops. The IDF app must hold the SAR power (`sar_periph_ctrl_adc_oneshot_power_acquire`)
    // before it starts core 1 (examples/motor-position/idf/README.md).
    unsafe { Chip::new(blocks, PsramMode::Octal) }
}

/// The region's memory.
fn region_mem() -> RegionMem<'static> {
    // SAFETY: `motor_position_region` is REGION_BYTES of internal DRAM that lives as long as
    // the program and is accessed only through splitcore-ipc regions (core 0's bridge.c
    // through the C ABI, this program through `Region`): no reference to it is made here.
    unsafe {
        let base = addr_of_mut!(motor_position_region).cast::<u8>();
        RegionMem::from_raw_parts(NonNull::new_unchecked(base), REGION_BYTES)
    }
}

fn main() {
    let core1 = Runtime;
    core1.log(format_args!("motor-position core 1 up, boot #{}", splitcore_rt::boot_count()));
    let chip = chip_for_this_boot();
    let guard = FaultGuard::new();
    // First, so the bridge is off whatever fails next.
    let controller = wiring::controller(&chip, &BOARD, ControllerConfig::EXAMPLE, &guard);
    match CycleClock::take(CPU_HZ) {
        Ok(clock) => {
            control(&core1, &chip, &clock, controller, &guard);
            clock.release();
        }
        Err(e) => {
            core1.log(format_args!("no cycle clock ({e:?}), bridge stays off"));
            program::idle_until_stopped(&core1, &FnTimeSource::new(splitcore_rt::ccount, CPU_HZ));
        }
    }
}

fn control(
    core1: &Runtime,
    chip: &Chip<'_>,
    clock: &CycleClock,
    controller: Result<MotorController<'_, '_>, WiringError>,
    guard: &FaultGuard,
) {
    let idle = |why: fmt::Arguments<'_>| {
        core1.log(format_args!("{why}, bridge stays off"));
        program::idle_until_stopped(core1, clock);
    };
    let controller = match controller {
        Ok(c) => c,
        Err(e) => return idle(format_args!("wiring: {e}")),
    };
    match chip.systimer(CounterUnit::Unit0) {
        Ok(systimer) => {
            if let Err(e) = measure_cpu_hz(&systimer, clock, CPU_HZ) {
                return idle(format_args!("{e}"));
            }
        }
        Err(e) => return idle(format_args!("SYSTIMER: {e}")),
    }
    let region = match Region::attach(region_mem(), &LAYOUT) {
        Ok(region) => region,
        Err(e) => return idle(format_args!("shared region unusable: {e}")),
    };
    let ports = match Ports::claim(&region) {
        Ok(ports) => ports,
        Err(e) => return idle(format_args!("channels unusable: {e}")),
    };
    core1.log(format_args!(
        "control at {} Hz on CCOUNT ({} MHz), pins {:?}",
        motor_position_control::protocol::CONTROL_HZ,
        clock.ticks_per_second() / 1_000_000,
        BOARD
    ));
    if let Err(e) = program::run(core1, clock, App::new(controller, ports), guard) {
        idle(format_args!("{e}"));
    }
}

splitcore_rt::entry!(main);
