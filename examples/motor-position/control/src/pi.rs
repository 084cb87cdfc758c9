//! A PI controller with output limits and anti-windup.

/// A discrete PI controller: `out = ff + kp·e + I`, `I += ki·e·dt`, with the output clamped
/// to `[min, max]` and conditional integration as anti-windup: while the output is saturated,
/// the integrator only moves in the direction that brings it out of saturation, and it never
/// holds more than the output range.
///
/// ```
/// use motor_position_control::Pi;
/// let mut pi = Pi::new(2.0, 100.0, -1.0, 1.0);
/// let (out, saturated) = pi.update(0.1, 0.001, 0.0);
/// assert!((out - 0.21).abs() < 1e-6 && !saturated);
/// // A large error saturates; the integrator does not wind up.
/// for _ in 0..10_000 {
///     pi.update(50.0, 0.001, 0.0);
/// }
/// assert!(pi.integral() <= 1.0);
/// let (out, _) = pi.update(-0.2, 0.001, 0.0); // the sign flips: out of saturation at once
/// assert!(out < 1.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pi {
    kp: f32,
    ki: f32,
    min: f32,
    max: f32,
    integral: f32,
}

impl Pi {
    /// A PI controller with gains `kp`, `ki` and output range `[min, max]` (`min <= max`;
    /// reversed bounds are swapped).
    pub const fn new(kp: f32, ki: f32, min: f32, max: f32) -> Self {
        let (min, max) = if min <= max { (min, max) } else { (max, min) };
        Pi { kp, ki, min, max, integral: 0.0 }
    }

    /// The integrator's state.
    pub fn integral(&self) -> f32 {
        self.integral
    }

    /// Empties the integrator.
    pub fn reset(&mut self) {
        self.integral = 0.0;
    }

    /// One update with error `error` over `dt` seconds and feed-forward `ff`: returns the
    /// clamped output and whether it was clamped.
    #[inline]
    pub fn update(&mut self, error: f32, dt: f32, ff: f32) -> (f32, bool) {
        let candidate = self.integral + self.ki * error * dt;
        let p = ff + self.kp * error;
        let unclamped = p + candidate;
        // Integrate unless that pushes further into a limit.
        let winding_up = (unclamped > self.max && error > 0.0) || (unclamped < self.min && error < 0.0);
        if !winding_up {
            self.integral = candidate;
        }
        // The integrator alone never exceeds the output range.
        self.integral = self.integral.max(self.min).min(self.max);
        let out = p + self.integral;
        let clamped = out.max(self.min).min(self.max);
        // `out != clamped` also holds for NaN, which is then reported as saturated.
        #[allow(clippy::float_cmp)]
        let saturated = out != clamped;
        (clamped, saturated)
    }
}
