//! A brushed DC motor for the host twin: the plant the motor-position example controls.
//!
//! * [`DcMotor`]: electrical (`L di/dt = V − R i − Ke ω`) and mechanical
//!   (`J dω/dt = Kt i − b ω − Coulomb friction − load`) dynamics, integrated with the classic
//!   fixed-step fourth-order Runge–Kutta method ([`rk4_step`]). Coulomb friction uses a
//!   stick–slip (Karnopp-style) treatment: a shaft at rest stays exactly at rest while the
//!   driving torque is below the static friction, and a velocity zero crossing inside a step is
//!   located, the step is split there and the stick/slip decision is taken at the crossing, so
//!   nothing chatters around zero.
//! * [`Bridge`]: an H-bridge seen through PWM averaging (`V = duty × supply`), or switched off
//!   (the winding's current freewheels through the body diodes against the supply until it
//!   reaches zero).
//! * [`Encoder`]: quantisation to counts per revolution, as a wrapping `i32` (what a PCNT
//!   extended in software reports).
//! * [`CurrentSense`]: a shunt amplifier with offset and gain into a 12-bit ADC, with seeded,
//!   deterministic Gaussian noise ([`Rng`]).
//! * An [`EnergyLedger`] integrated alongside the state, so the model can be checked against
//!   the first law: electrical energy in = resistive loss + friction loss + load work +
//!   change of kinetic and magnetic energy.
//!
//! ```
//! use splitcore_plant::{Bridge, DcMotor, MotorParams};
//!
//! let mut motor = DcMotor::new(MotorParams::SMALL_12V)?;
//! for _ in 0..200_000 {
//!     motor.step(Bridge::Driven { duty: 0.5 }, 5e-6); // 1 s at 200 kHz
//! }
//! let s = motor.state();
//! // Steady state at 6 V: Kt i = b w + Coulomb and 6 V = R i + Ke w.
//! let p = MotorParams::SMALL_12V;
//! let w = (p.torque_nm_per_a * 6.0 - p.resistance_ohm * p.coulomb_nm)
//!     / (p.resistance_ohm * p.viscous_nm_s_per_rad + p.torque_nm_per_a * p.back_emf_v_s_per_rad);
//! assert!((s.velocity_rad_s / w - 1.0).abs() < 1e-3, "{s:?} vs {w}");
//! # Ok::<(), splitcore_plant::ParamError>(())
//! ```

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations)]

mod motor;
mod sensors;

pub use motor::{Bridge, DcMotor, EnergyLedger, MotorParams, MotorState, ParamError};
pub use sensors::{CurrentSense, CurrentSenseParams, Encoder, Rng};

/// One classic fourth-order Runge–Kutta step of `dy/dt = f(y)` (autonomous) with step `h`.
///
/// The global error of a fixed-step RK4 integration falls as `h^4`.
///
/// ```
/// use splitcore_plant::rk4_step;
/// // dy/dt = -y from y(0) = 1: y(1) = e^-1.
/// let mut y = [1.0];
/// for _ in 0..100 {
///     y = rk4_step(&y, 0.01, |y| [-y[0]]);
/// }
/// assert!((y[0] - (-1.0f64).exp()).abs() < 1e-9);
/// ```
pub fn rk4_step<const N: usize>(y: &[f64; N], h: f64, mut f: impl FnMut(&[f64; N]) -> [f64; N]) -> [f64; N] {
    let add = |a: &[f64; N], k: &[f64; N], s: f64| -> [f64; N] { core::array::from_fn(|i| a[i] + s * k[i]) };
    let k1 = f(y);
    let k2 = f(&add(y, &k1, h / 2.0));
    let k3 = f(&add(y, &k2, h / 2.0));
    let k4 = f(&add(y, &k3, h));
    core::array::from_fn(|i| y[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]))
}
