//! Keeping the bridge off on a hardware fault.
//!
//! The controller (`motor_position_control::Controller`) already switches the bridge off and
//! keeps it off until core 0's next command when its current-sense read fails (an ADC fault).
//! [`GuardedAdc`] routes the bridge's own faults through that same path: every control period
//! it reads the driver's nFAULT line before converting, and reports a read error while
//!
//! * nFAULT is low (the driver's over-current, over-temperature or under-voltage shutdown), or
//! * a cause was latched in the [`FaultGuard`]: the program calls [`FaultGuard::trip`] when a
//!   peripheral write failed (the controller's `hal_errors` grew), and latches
//!   [`BridgeFault::Stopping`] for its last period when core 0 asks it to stop. A latch holds
//!   until core 1 restarts.
//!
//! The controller then switches the bridge off in that same period (enable low, duty 0,
//! integrators reset), flags `FLAG_ADC_FAULT` in the telemetry (the protocol's one fault bit)
//! and reports the fault once; a command from core 0 clears its latch, but the next period's
//! read fails again as long as the cause persists, so the bridge stays off. [`FaultGuard`]
//! keeps the actual cause for the log.

use core::cell::Cell;

use splitcore_hal::{AdcSample, InputPin};

/// Why [`GuardedAdc`] refused a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BridgeFault {
    /// The driver's nFAULT line is low.
    DriverFault,
    /// A bridge peripheral write failed; latched until core 1 restarts.
    PeripheralError,
    /// Core 1 is stopping; latched.
    Stopping,
}

impl core::fmt::Display for BridgeFault {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            BridgeFault::DriverFault => "bridge driver reports a fault (nFAULT low)",
            BridgeFault::PeripheralError => {
                "a bridge peripheral write failed (latched until core 1 restarts)"
            }
            BridgeFault::Stopping => "core 1 is stopping",
        })
    }
}

/// The error of a [`GuardedAdc`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardedError<E> {
    /// The bridge is faulted; no conversion was made.
    Bridge(BridgeFault),
    /// The conversion itself failed.
    Adc(E),
}

/// The fault state shared by [`GuardedAdc`] and the control program (core 1 only: a `Cell`).
#[derive(Debug, Default)]
pub struct FaultGuard {
    latched: Cell<Option<BridgeFault>>,
    current: Cell<Option<BridgeFault>>,
    refusals: Cell<u32>,
}

impl FaultGuard {
    /// No fault.
    pub const fn new() -> Self {
        FaultGuard { latched: Cell::new(None), current: Cell::new(None), refusals: Cell::new(0) }
    }

    /// Latches [`BridgeFault::PeripheralError`]: every later read is refused.
    pub fn trip(&self) {
        self.latch(BridgeFault::PeripheralError);
    }

    /// Latches `fault` (the first latched cause is kept): every later read is refused.
    pub fn latch(&self, fault: BridgeFault) {
        if self.latched.get().is_none() {
            self.latched.set(Some(fault));
        }
    }

    /// The latched cause, if any.
    pub fn latched(&self) -> Option<BridgeFault> {
        self.latched.get()
    }

    /// Why the most recent read was refused (`None`: it reached the ADC).
    pub fn current_fault(&self) -> Option<BridgeFault> {
        self.current.get()
    }

    /// Reads refused so far (one per control period while a fault lasts).
    pub fn refusals(&self) -> u32 {
        self.refusals.get()
    }

    fn refuse(&self, fault: BridgeFault) -> BridgeFault {
        self.current.set(Some(fault));
        self.refusals.set(self.refusals.get().wrapping_add(1));
        fault
    }
}

/// The current-sense ADC, refusing to convert while the bridge is faulted (module docs).
#[derive(Debug)]
pub struct GuardedAdc<'g, A, F> {
    adc: A,
    fault_n: F,
    guard: &'g FaultGuard,
}

impl<'g, A, F> GuardedAdc<'g, A, F> {
    /// `adc` guarded by the nFAULT input `fault_n` and by `guard`.
    pub fn new(adc: A, fault_n: F, guard: &'g FaultGuard) -> Self {
        GuardedAdc { adc, fault_n, guard }
    }

    /// The ADC.
    pub fn adc(&self) -> &A {
        &self.adc
    }
}

impl<A: AdcSample, F: InputPin> AdcSample for GuardedAdc<'_, A, F> {
    type Error = GuardedError<A::Error>;

    #[inline]
    fn read_raw(&mut self) -> Result<u16, Self::Error> {
        if let Some(fault) = self.guard.latched.get() {
            return Err(GuardedError::Bridge(self.guard.refuse(fault)));
        }
        // An nFAULT read error counts as a fault: the line cannot be trusted.
        if !self.fault_n.is_high().unwrap_or(false) {
            return Err(GuardedError::Bridge(self.guard.refuse(BridgeFault::DriverFault)));
        }
        self.guard.current.set(None);
        self.adc.read_raw().map_err(GuardedError::Adc)
    }

    #[inline]
    fn raw_to_millivolts(&self, raw: u16) -> u16 {
        self.adc.raw_to_millivolts(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::convert::Infallible;

    struct Level<'a>(&'a Cell<bool>);
    impl splitcore_hal::digital::ErrorType for Level<'_> {
        type Error = Infallible;
    }
    impl InputPin for Level<'_> {
        fn is_high(&mut self) -> Result<bool, Infallible> {
            Ok(self.0.get())
        }
        fn is_low(&mut self) -> Result<bool, Infallible> {
            Ok(!self.0.get())
        }
    }

    struct Adc(Result<u16, u8>, Cell<u32>);
    impl AdcSample for Adc {
        type Error = u8;
        fn read_raw(&mut self) -> Result<u16, u8> {
            self.1.set(self.1.get() + 1);
            self.0
        }
        fn raw_to_millivolts(&self, raw: u16) -> u16 {
            raw / 2
        }
    }

    #[test]
    fn converts_only_while_the_bridge_is_healthy() {
        let line = Cell::new(true);
        let guard = FaultGuard::new();
        let mut adc = GuardedAdc::new(Adc(Ok(2000), Cell::new(0)), Level(&line), &guard);
        assert_eq!(adc.read_millivolts(), Ok(1000));
        line.set(false);
        assert_eq!(adc.read_raw(), Err(GuardedError::Bridge(BridgeFault::DriverFault)));
        assert_eq!(adc.adc().1.get(), 1, "no conversion while nFAULT is low");
        assert_eq!((guard.current_fault(), guard.refusals()), (Some(BridgeFault::DriverFault), 1));
        // The driver recovers: conversions resume (the controller's own latch keeps the bridge
        // off until core 0's next command).
        line.set(true);
        assert_eq!(adc.read_raw(), Ok(2000));
        assert_eq!(guard.current_fault(), None);
    }

    #[test]
    fn a_tripped_guard_refuses_for_good() {
        let line = Cell::new(true);
        let guard = FaultGuard::new();
        let mut adc = GuardedAdc::new(Adc(Ok(7), Cell::new(0)), Level(&line), &guard);
        guard.trip();
        guard.latch(BridgeFault::Stopping); // the first cause is kept
        for _ in 0..3 {
            assert_eq!(adc.read_raw(), Err(GuardedError::Bridge(BridgeFault::PeripheralError)));
        }
        assert_eq!(guard.latched(), Some(BridgeFault::PeripheralError));
        assert_eq!(guard.refusals(), 3);
        assert_eq!(adc.adc().1.get(), 0);
    }

    #[test]
    fn adc_errors_pass_through() {
        let line = Cell::new(true);
        let guard = FaultGuard::new();
        let mut adc = GuardedAdc::new(Adc(Err(9), Cell::new(0)), Level(&line), &guard);
        assert_eq!(adc.read_raw(), Err(GuardedError::Adc(9)));
        assert_eq!(guard.current_fault(), None);
    }
}
