//! The peripheral hand-over: exact SYSTEM clock/reset writes against the recording fake, and
//! the C ABI entry point (its own test binary: the ABI keeps process-wide state).

use std::sync::{Arc, Mutex};

use splitcore_core0::fake::{Op, RecordingRegs};
use splitcore_core0::ffi::*;
use splitcore_core0::peripherals::*;
use splitcore_core0::regs::{CLKGATE_EN, CORE_1_CONTROL_0, RUNSTALL};
use splitcore_core0::Regs;
use splitcore_proto::control::ControlBlock;

use Op::*;

/// `SYSTEM_PERIP_RST_EN0_REG` after a chip reset holds many peripherals in reset; this value
/// (every bit we use plus bit 0 of another peripheral) checks that foreign bits are kept.
const RST0_BEFORE: u32 = PWM0_BIT | PWM1_BIT | PCNT_BIT | APB_SARADC_BIT | 1;
/// Clocks core 0 already runs: SYSTIMER (esp_timer) and bit 1 (another peripheral).
const CLK0_BEFORE: u32 = SYSTIMER_BIT | 1 << 1;

fn fake() -> RecordingRegs {
    let mut regs = RecordingRegs::unicore_boot_state();
    regs.mem.insert(PERIP_CLK_EN0, CLK0_BEFORE);
    regs.mem.insert(PERIP_RST_EN0, RST0_BEFORE);
    regs.mem.insert(CPU_PERI_RST_EN, DEDICATED_GPIO_BIT);
    regs
}

#[test]
fn bit_positions_are_the_trm_ones() {
    // system_reg.h: SYSTEM_PCNT_CLK_EN BIT(10), SYSTEM_PWM0_CLK_EN BIT(17), SYSTEM_PWM1_CLK_EN
    // BIT(20), SYSTEM_APB_SARADC_CLK_EN BIT(28), SYSTEM_SYSTIMER_CLK_EN BIT(29),
    // SYSTEM_CLK_EN_DEDICATED_GPIO BIT(7); the *_RST bits sit at the same positions.
    assert_eq!(
        [PCNT_BIT, PWM0_BIT, PWM1_BIT, APB_SARADC_BIT, SYSTIMER_BIT, DEDICATED_GPIO_BIT],
        [0x400, 0x2_0000, 0x10_0000, 0x1000_0000, 0x2000_0000, 0x80]
    );
    assert_eq!(
        [CPU_PERI_CLK_EN, CPU_PERI_RST_EN, PERIP_CLK_EN0, PERIP_RST_EN0],
        [0x600C_0008, 0x600C_000C, 0x600C_0018, 0x600C_0020]
    );
}

#[test]
fn everything_is_enabled_exclusive_ones_are_reset_pulsed_shared_ones_never() {
    let mut regs = fake();
    handover_peripherals(&mut regs, Peripherals::ALL);
    let exclusive = PWM0_BIT | PWM1_BIT | PCNT_BIT;
    let all = exclusive | APB_SARADC_BIT | SYSTIMER_BIT;
    assert_eq!(
        regs.take_log(),
        vec![
            // 1. SYSTEM_PERIP_CLK_EN0_REG |= every clock.
            Read(PERIP_CLK_EN0, CLK0_BEFORE),
            Write(PERIP_CLK_EN0, CLK0_BEFORE | all),
            // 2. Reset pulse for MCPWM0/1 and PCNT only (SYSTIMER and APB_SARADC are core 0's too).
            Read(PERIP_RST_EN0, RST0_BEFORE),
            Write(PERIP_RST_EN0, RST0_BEFORE | exclusive),
            // 3. Release every requested reset; bit 0 (not ours) stays in reset.
            Read(PERIP_RST_EN0, RST0_BEFORE | exclusive),
            Write(PERIP_RST_EN0, 1),
            // The dedicated GPIO pair: clock, pulse, release.
            Read(CPU_PERI_CLK_EN, 0),
            Write(CPU_PERI_CLK_EN, DEDICATED_GPIO_BIT),
            Read(CPU_PERI_RST_EN, DEDICATED_GPIO_BIT),
            Write(CPU_PERI_RST_EN, DEDICATED_GPIO_BIT),
            Read(CPU_PERI_RST_EN, DEDICATED_GPIO_BIT),
            Write(CPU_PERI_RST_EN, 0),
        ]
    );
}

#[test]
fn shared_peripherals_alone_get_no_reset_pulse() {
    let mut regs = fake();
    handover_peripherals(&mut regs, Peripherals::SYSTIMER | Peripherals::APB_SARADC);
    assert_eq!(
        regs.take_log(),
        vec![
            Read(PERIP_CLK_EN0, CLK0_BEFORE),
            Write(PERIP_CLK_EN0, CLK0_BEFORE | APB_SARADC_BIT),
            Read(PERIP_RST_EN0, RST0_BEFORE),
            Write(PERIP_RST_EN0, RST0_BEFORE & !APB_SARADC_BIT),
        ]
    );
    // Nothing at all for an empty set.
    handover_peripherals(&mut regs, Peripherals::default());
    assert!(regs.take_log().is_empty());
}

#[test]
fn masks_are_checked() {
    assert_eq!(Peripherals::from_bits(0x3f), Some(Peripherals::ALL));
    assert_eq!(Peripherals::from_bits(0x40), None);
    assert!(Peripherals::ALL.contains(Peripherals::PCNT | Peripherals::MCPWM1));
    assert!(!Peripherals::PCNT.contains(Peripherals::ALL));
}

#[test]
fn the_c_abi_entry_point() {
    assert_eq!(splitcore_handover_peripherals(SPLITCORE_PERIPH_PCNT), SPLITCORE_ERR_NO_PLATFORM);
    assert_eq!(splitcore_handover_peripherals(1 << 6), SPLITCORE_ERR_INVALID_ARG);

    let shared: Arc<Mutex<RecordingRegs>> = Arc::new(Mutex::new(fake()));
    struct Through(Arc<Mutex<RecordingRegs>>);
    impl Regs for Through {
        fn read(&mut self, addr: u32) -> u32 {
            self.0.lock().unwrap().read(addr)
        }
        fn write(&mut self, addr: u32, value: u32) {
            self.0.lock().unwrap().write(addr, value)
        }
        fn delay_us(&mut self, us: u32) {
            self.0.lock().unwrap().delay_us(us)
        }
        fn now_us(&mut self) -> u64 {
            self.0.lock().unwrap().now_us()
        }
        fn set_appcpu_boot_addr(&mut self, addr: u32) {
            self.0.lock().unwrap().set_appcpu_boot_addr(addr)
        }
        fn cpu_stall(&mut self, core: u32) {
            self.0.lock().unwrap().cpu_stall(core)
        }
        fn cpu_unstall(&mut self, core: u32) {
            self.0.lock().unwrap().cpu_unstall(core)
        }
    }
    let regs: host::SharedRegs = Arc::new(Mutex::new(Box::new(Through(shared.clone()))));
    let control: &'static ControlBlock = Box::leak(Box::new(ControlBlock::new()));
    // SAFETY: no log region.
    unsafe { host::bind_to(regs, control, None, 0x4037_8000) };

    // Core 1 held (UNICORE resting state): the writes happen.
    let mask = SPLITCORE_PERIPH_MCPWM0 | SPLITCORE_PERIPH_SYSTIMER;
    assert_eq!(splitcore_handover_peripherals(mask), SPLITCORE_OK);
    let log = shared.lock().unwrap().take_log();
    assert_eq!(
        log,
        vec![
            Read(CORE_1_CONTROL_0, RUNSTALL),
            Read(PERIP_CLK_EN0, CLK0_BEFORE),
            Write(PERIP_CLK_EN0, CLK0_BEFORE | PWM0_BIT),
            Read(PERIP_RST_EN0, RST0_BEFORE),
            Write(PERIP_RST_EN0, RST0_BEFORE | PWM0_BIT),
            Read(PERIP_RST_EN0, RST0_BEFORE | PWM0_BIT),
            Write(PERIP_RST_EN0, RST0_BEFORE & !PWM0_BIT),
        ]
    );

    // Core 1 running (CONTROL_0 = CLKGATE_EN only, no stall): refused, nothing written.
    shared.lock().unwrap().mem.insert(CORE_1_CONTROL_0, CLKGATE_EN);
    assert_eq!(splitcore_handover_peripherals(SPLITCORE_PERIPH_PCNT), SPLITCORE_ERR_ALREADY_RUNNING);
    let log = shared.lock().unwrap().take_log();
    assert!(log.iter().all(|op| matches!(op, Read(..))), "{log:?}");
    host::unbind();
}
