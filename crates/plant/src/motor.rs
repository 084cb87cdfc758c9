//! The DC motor's dynamics.

use core::fmt;

use crate::rk4_step;

/// Motor and drive parameters (SI units).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MotorParams {
    /// Winding resistance, ohms.
    pub resistance_ohm: f64,
    /// Winding inductance, henries.
    pub inductance_h: f64,
    /// Back-EMF constant, V·s/rad.
    pub back_emf_v_s_per_rad: f64,
    /// Torque constant, N·m/A (equal to the back-EMF constant in SI units for an ideal motor).
    pub torque_nm_per_a: f64,
    /// Rotor plus load inertia, kg·m².
    pub inertia_kg_m2: f64,
    /// Viscous friction, N·m·s/rad.
    pub viscous_nm_s_per_rad: f64,
    /// Coulomb (kinetic) friction torque, N·m.
    pub coulomb_nm: f64,
    /// Static friction (breakaway) torque, N·m; at least the Coulomb torque.
    pub static_nm: f64,
    /// H-bridge supply, volts.
    pub supply_v: f64,
}

impl MotorParams {
    /// A small 12 V brushed motor without gearbox (a 20 W class can motor) with a small
    /// flywheel: 2 Ω, 0.5 mH (electrical time constant 0.25 ms), Ke = Kt = 0.02 (no-load
    /// speed 600 rad/s ≈ 5700 rpm, stall current 6 A, stall torque 0.12 N·m),
    /// J = 1.2e-5 kg·m² (mechanical time constant ≈ 57 ms), viscous 1e-5 N·m·s/rad,
    /// Coulomb 2 mN·m, static 3 mN·m.
    pub const SMALL_12V: MotorParams = MotorParams {
        resistance_ohm: 2.0,
        inductance_h: 0.5e-3,
        back_emf_v_s_per_rad: 0.02,
        torque_nm_per_a: 0.02,
        inertia_kg_m2: 1.2e-5,
        viscous_nm_s_per_rad: 1.0e-5,
        coulomb_nm: 2.0e-3,
        static_nm: 3.0e-3,
        supply_v: 12.0,
    };

    /// Checks every parameter: finite, positive where a zero would make the model singular,
    /// non-negative frictions, static friction not below Coulomb friction.
    ///
    /// ```
    /// use splitcore_plant::MotorParams;
    /// let bad = MotorParams { inductance_h: 0.0, ..MotorParams::SMALL_12V };
    /// assert_eq!(bad.validate().unwrap_err().to_string(), "inductance_h = 0: must be finite and > 0");
    /// ```
    pub fn validate(&self) -> Result<(), ParamError> {
        let positive = [
            ("resistance_ohm", self.resistance_ohm),
            ("inductance_h", self.inductance_h),
            ("back_emf_v_s_per_rad", self.back_emf_v_s_per_rad),
            ("torque_nm_per_a", self.torque_nm_per_a),
            ("inertia_kg_m2", self.inertia_kg_m2),
            ("supply_v", self.supply_v),
        ];
        for (field, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                return Err(ParamError { field, value, requirement: "must be finite and > 0" });
            }
        }
        let non_negative = [
            ("viscous_nm_s_per_rad", self.viscous_nm_s_per_rad),
            ("coulomb_nm", self.coulomb_nm),
            ("static_nm", self.static_nm),
        ];
        for (field, value) in non_negative {
            if !(value.is_finite() && value >= 0.0) {
                return Err(ParamError { field, value, requirement: "must be finite and >= 0" });
            }
        }
        if self.static_nm < self.coulomb_nm {
            return Err(ParamError {
                field: "static_nm",
                value: self.static_nm,
                requirement: "must be >= coulomb_nm",
            });
        }
        Ok(())
    }

    /// Electrical time constant `L / R`, seconds.
    pub fn electrical_time_constant_s(&self) -> f64 {
        self.inductance_h / self.resistance_ohm
    }

    /// Mechanical time constant `J R / (Kt Ke + R b)`, seconds (the speed's time constant when
    /// the inductance is neglected).
    pub fn mechanical_time_constant_s(&self) -> f64 {
        self.inertia_kg_m2 * self.resistance_ohm
            / (self.torque_nm_per_a * self.back_emf_v_s_per_rad
                + self.resistance_ohm * self.viscous_nm_s_per_rad)
    }
}

/// A parameter that makes no physical sense.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamError {
    /// The parameter's name.
    pub field: &'static str,
    /// Its value.
    pub value: f64,
    /// What it must satisfy.
    pub requirement: &'static str,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}: {}", self.field, self.value, self.requirement)
    }
}

impl std::error::Error for ParamError {}

/// What the H-bridge does during a step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bridge {
    /// PWM at `duty` (−1.0 full reverse … 1.0 full forward; clamped, NaN counts as 0), averaged
    /// over the PWM period: the winding sees `duty × supply`.
    Driven {
        /// Signed duty.
        duty: f64,
    },
    /// All switches off: a winding current freewheels through the body diodes against the
    /// supply until it reaches zero, then the winding is open (no current). Regeneration
    /// through the diodes when the back-EMF exceeds the supply is not modelled (the motor
    /// never spins that fast on its own supply).
    Off,
}

impl Bridge {
    fn duty(self) -> Option<f64> {
        match self {
            Bridge::Driven { duty } => Some(if duty.is_nan() { 0.0 } else { duty.clamp(-1.0, 1.0) }),
            Bridge::Off => None,
        }
    }
}

/// The motor's state.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MotorState {
    /// Winding current, amperes.
    pub current_a: f64,
    /// Shaft speed, rad/s.
    pub velocity_rad_s: f64,
    /// Shaft angle, radians (not wrapped).
    pub position_rad: f64,
    /// Held by static friction (the speed is exactly zero).
    pub stuck: bool,
}

/// Energy integrated alongside the state (joules since the motor was made).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EnergyLedger {
    /// `∫ V i dt`: delivered by the bridge (negative when the winding returns energy).
    pub electrical_in_j: f64,
    /// `∫ R i² dt` plus the magnetic energy left when a freewheeling current is cut at zero.
    pub resistive_j: f64,
    /// `∫ (b ω + Coulomb) ω dt` plus the kinetic energy left when the shaft sticks.
    pub friction_j: f64,
    /// `∫ load ω dt`: work done on the load.
    pub load_j: f64,
}

// State vector indices.
const I: usize = 0;
const W: usize = 1;
const TH: usize = 2;
const E_IN: usize = 3;
const E_R: usize = 4;
const E_F: usize = 5;
const E_L: usize = 6;
const N: usize = 7;

/// The discrete modes held constant during one (sub)step.
#[derive(Debug, Clone, Copy)]
struct Mode {
    /// Applied voltage when driven; `None` when the bridge is off.
    drive_v: Option<f64>,
    /// Bridge off: the sign of the freewheeling current (0: no current flows).
    freewheel: f64,
    /// Direction of motion for the Coulomb term (0 at rest without friction).
    dir: f64,
    /// Held by static friction: the speed stays zero.
    stuck: bool,
}

#[derive(Debug, Clone, Copy)]
enum Boundary {
    Speed,
    Current,
}

/// The motor, its load and its energy ledger.
#[derive(Debug, Clone)]
pub struct DcMotor {
    p: MotorParams,
    y: [f64; N],
    stuck: bool,
    load_nm: f64,
}

fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

impl DcMotor {
    /// A motor at rest (stuck, no current) with valid `params`.
    pub fn new(params: MotorParams) -> Result<Self, ParamError> {
        params.validate()?;
        Ok(DcMotor { p: params, y: [0.0; N], stuck: true, load_nm: 0.0 })
    }

    /// The parameters.
    pub fn params(&self) -> &MotorParams {
        &self.p
    }

    /// The state.
    pub fn state(&self) -> MotorState {
        MotorState {
            current_a: self.y[I],
            velocity_rad_s: self.y[W],
            position_rad: self.y[TH],
            stuck: self.stuck,
        }
    }

    /// The energy ledger.
    pub fn energy(&self) -> EnergyLedger {
        EnergyLedger {
            electrical_in_j: self.y[E_IN],
            resistive_j: self.y[E_R],
            friction_j: self.y[E_F],
            load_j: self.y[E_L],
        }
    }

    /// Kinetic energy `½ J ω²`.
    pub fn kinetic_energy_j(&self) -> f64 {
        0.5 * self.p.inertia_kg_m2 * self.y[W] * self.y[W]
    }

    /// Magnetic energy `½ L i²`.
    pub fn magnetic_energy_j(&self) -> f64 {
        0.5 * self.p.inductance_h * self.y[I] * self.y[I]
    }

    /// Sets a constant load torque opposing positive rotation (N·m; a gravity-like load, it
    /// acts at standstill too). A non-finite value is ignored and returned as an error.
    pub fn set_load_torque(&mut self, nm: f64) -> Result<(), ParamError> {
        if !nm.is_finite() {
            return Err(ParamError { field: "load_torque_nm", value: nm, requirement: "must be finite" });
        }
        self.load_nm = nm;
        Ok(())
    }

    /// Puts the shaft at `position_rad` (e.g. a homing offset), leaving the dynamics alone.
    pub fn set_position(&mut self, position_rad: f64) {
        if position_rad.is_finite() {
            self.y[TH] = position_rad;
        }
    }

    /// The torque driving the shaft apart from friction: motor torque minus load.
    fn drive_torque(&self, y: &[f64; N]) -> f64 {
        self.p.torque_nm_per_a * y[I] - self.load_nm
    }

    /// Decides the modes at the start of a (sub)step: breakaway from stiction, freewheeling.
    fn mode(&mut self, bridge: Bridge) -> Mode {
        let drive_v = bridge.duty().map(|d| d * self.p.supply_v);
        let freewheel = if drive_v.is_none() { sign(self.y[I]) } else { 0.0 };
        if self.stuck || self.y[W] == 0.0 {
            self.y[W] = 0.0;
            let tau = self.drive_torque(&self.y);
            // Without any friction nothing can hold the shaft: it is free even at rest.
            let frictionless = self.p.static_nm == 0.0;
            self.stuck = !frictionless && tau.abs() <= self.p.static_nm;
            let dir = if self.stuck { 0.0 } else { sign(tau) };
            return Mode { drive_v, freewheel, dir, stuck: self.stuck };
        }
        Mode { drive_v, freewheel, dir: sign(self.y[W]), stuck: false }
    }

    fn derivative(&self, m: Mode, y: &[f64; N]) -> [f64; N] {
        let p = &self.p;
        let (i, w) = (y[I], if m.stuck { 0.0 } else { y[W] });
        let v = match m.drive_v {
            Some(v) => v,
            // Freewheeling through the diodes: the winding sees the supply against its current.
            None => -m.freewheel * p.supply_v,
        };
        let di = if m.drive_v.is_none() && m.freewheel == 0.0 {
            0.0 // open winding
        } else {
            (v - p.resistance_ohm * i - p.back_emf_v_s_per_rad * w) / p.inductance_h
        };
        let friction = p.viscous_nm_s_per_rad * w + p.coulomb_nm * m.dir;
        let dw =
            if m.stuck { 0.0 } else { (p.torque_nm_per_a * i - self.load_nm - friction) / p.inertia_kg_m2 };
        let mut d = [0.0; N];
        d[I] = di;
        d[W] = dw;
        d[TH] = w;
        d[E_IN] = v * i;
        d[E_R] = p.resistance_ohm * i * i;
        d[E_F] = friction * w;
        d[E_L] = self.load_nm * w;
        d
    }

    /// The fraction of the step at which the first mode boundary was crossed (speed through
    /// zero while moving, freewheeling current through zero), if one was.
    fn crossing(&self, m: Mode, y0: &[f64; N], y1: &[f64; N]) -> Option<(f64, Boundary)> {
        let mut first: Option<(f64, Boundary)> = None;
        let mut consider = |a: f64, b: f64, which: Boundary| {
            // `a` has the mode's sign, `b` does not: linear interpolation of the zero.
            let f = if a == b { 0.0 } else { (a / (a - b)).clamp(0.0, 1.0) };
            if first.is_none_or(|(g, _)| f < g) {
                first = Some((f, which));
            }
        };
        if m.dir != 0.0 && y1[W] * m.dir <= 0.0 {
            consider(y0[W], y1[W], Boundary::Speed);
        }
        if m.drive_v.is_none() && m.freewheel != 0.0 && y1[I] * m.freewheel <= 0.0 {
            consider(y0[I], y1[I], Boundary::Current);
        }
        first
    }

    /// Advances the motor by `h` seconds with the bridge in `bridge` (PWM-averaged, constant
    /// over the step). A non-finite or non-positive `h` does nothing.
    pub fn step(&mut self, bridge: Bridge, h: f64) {
        if !(h.is_finite() && h > 0.0) {
            return;
        }
        let mut remaining = h;
        // Each pass either finishes the step or stops at a mode boundary; a handful of
        // boundaries per step is already unphysical, so the last pass ignores further ones.
        for pass in 0..4 {
            let m = self.mode(bridge);
            let y0 = self.y;
            let y1 = rk4_step(&y0, remaining, |y| self.derivative(m, y));
            match self.crossing(m, &y0, &y1) {
                Some((frac, which)) if pass < 3 => {
                    let h1 = remaining * frac;
                    if h1 > 0.0 {
                        self.y = rk4_step(&y0, h1, |y| self.derivative(m, y));
                    }
                    remaining -= h1;
                    self.settle_boundary(which);
                    if remaining <= 0.0 {
                        return;
                    }
                }
                _ => {
                    self.y = y1;
                    self.settle_ends(m);
                    return;
                }
            }
        }
    }

    /// At a located boundary: a shaft that reached zero speed stops (its residual kinetic
    /// energy, from the interpolated crossing, is taken by friction) and sticks unless the drive
    /// breaks it away at the next pass; a freewheeling current that reached zero stops (its
    /// residual magnetic energy is lost in the winding and diodes).
    fn settle_boundary(&mut self, which: Boundary) {
        match which {
            Boundary::Speed => {
                self.y[E_F] += self.kinetic_energy_j();
                self.y[W] = 0.0;
                self.stuck = true;
            }
            Boundary::Current => {
                self.y[E_R] += self.magnetic_energy_j();
                self.y[I] = 0.0;
            }
        }
    }

    /// After a full pass without a located boundary (the last pass): keep the invariants.
    fn settle_ends(&mut self, m: Mode) {
        if m.dir != 0.0 && self.y[W] * m.dir < 0.0 {
            self.settle_boundary(Boundary::Speed);
        }
        if m.drive_v.is_none() && m.freewheel != 0.0 && self.y[I] * m.freewheel < 0.0 {
            self.settle_boundary(Boundary::Current);
        }
    }
}
