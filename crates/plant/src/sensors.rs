//! The sensors the controller sees: a quadrature encoder and a current-sense ADC.

use core::f64::consts::TAU;

use crate::motor::ParamError;

/// A deterministic pseudo-random generator (SplitMix64) with Gaussian samples (Box–Muller):
/// the same seed gives the same sequence on every machine.
///
/// ```
/// use splitcore_plant::Rng;
/// let (mut a, mut b) = (Rng::new(7), Rng::new(7));
/// assert_eq!(a.next_u64(), b.next_u64());
/// let u = a.uniform();
/// assert!((0.0..1.0).contains(&u));
/// ```
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
    spare: Option<f64>,
}

impl Rng {
    /// A generator from `seed`.
    pub const fn new(seed: u64) -> Self {
        Rng { state: seed, spare: None }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)` (53 random bits).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal (mean 0, standard deviation 1).
    pub fn gaussian(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        // 1 - uniform() is in (0, 1]: the logarithm is finite.
        let r = (-2.0 * (1.0 - self.uniform()).ln()).sqrt();
        let phi = TAU * self.uniform();
        self.spare = Some(r * phi.sin());
        r * phi.cos()
    }
}

/// A quadrature encoder: `counts_per_rev` counts per shaft revolution (4× the line count),
/// reported as a wrapping `i32`.
///
/// ```
/// use splitcore_plant::Encoder;
/// let enc = Encoder::new(4096)?;
/// assert_eq!(enc.count(std::f64::consts::PI), 2048);
/// assert_eq!(enc.count(-1e-9), -1); // floor: just below zero is count -1
/// # Ok::<(), splitcore_plant::ParamError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Encoder {
    counts_per_rev: u32,
}

impl Encoder {
    /// An encoder with `counts_per_rev` counts per revolution (at least 4).
    pub fn new(counts_per_rev: u32) -> Result<Self, ParamError> {
        if counts_per_rev < 4 {
            return Err(ParamError {
                field: "counts_per_rev",
                value: counts_per_rev as f64,
                requirement: "must be >= 4 (one quadrature cycle)",
            });
        }
        Ok(Encoder { counts_per_rev })
    }

    /// Counts per revolution.
    pub fn counts_per_rev(&self) -> u32 {
        self.counts_per_rev
    }

    /// Radians per count.
    pub fn rad_per_count(&self) -> f64 {
        TAU / self.counts_per_rev as f64
    }

    /// The count at shaft angle `position_rad` (the counter read 0 at angle 0): the angle
    /// quantised down to whole counts, wrapping like a 32-bit counter.
    pub fn count(&self, position_rad: f64) -> i32 {
        let counts = (position_rad / self.rad_per_count()).floor();
        // Whole counts as i64 (saturating for absurd angles), then the low 32 bits: the
        // counter wraps like the hardware's.
        (counts as i64) as i32
    }
}

/// Current-sense front end: a bidirectional shunt amplifier (`offset_v + gain × i`) into an
/// ADC of `max_raw + 1` codes over `0..full_scale_v`, with Gaussian noise referred to the
/// current.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurrentSenseParams {
    /// Amplifier gain, volts per ampere.
    pub gain_v_per_a: f64,
    /// Output at zero current, volts.
    pub offset_v: f64,
    /// Noise, amperes RMS.
    pub noise_rms_a: f64,
    /// ADC full scale, volts.
    pub full_scale_v: f64,
    /// Largest code (4095 for 12 bits).
    pub max_raw: u16,
}

impl CurrentSenseParams {
    /// 0.25 V/A around 1.65 V into the ESP32-S3's 12-bit ADC over 3.3 V (±6.6 A), 20 mA RMS
    /// noise.
    pub const DEFAULT: CurrentSenseParams = CurrentSenseParams {
        gain_v_per_a: 0.25,
        offset_v: 1.65,
        noise_rms_a: 0.02,
        full_scale_v: 3.3,
        max_raw: 4095,
    };
}

/// The current-sense channel with its noise generator.
///
/// ```
/// use splitcore_plant::{CurrentSense, CurrentSenseParams};
/// let quiet = CurrentSenseParams { noise_rms_a: 0.0, ..CurrentSenseParams::DEFAULT };
/// let mut sense = CurrentSense::new(quiet, 1)?;
/// assert_eq!(sense.sample(0.0), 2048); // 1.65 V of 3.3 V
/// assert_eq!(sense.sample(100.0), 4095); // clamped at the rail
/// # Ok::<(), splitcore_plant::ParamError>(())
/// ```
#[derive(Debug, Clone)]
pub struct CurrentSense {
    p: CurrentSenseParams,
    rng: Rng,
}

impl CurrentSense {
    /// A channel with valid parameters and noise seeded by `seed`.
    pub fn new(params: CurrentSenseParams, seed: u64) -> Result<Self, ParamError> {
        let checks = [
            (
                "gain_v_per_a",
                params.gain_v_per_a,
                params.gain_v_per_a.is_finite() && params.gain_v_per_a > 0.0,
            ),
            ("offset_v", params.offset_v, params.offset_v.is_finite()),
            ("noise_rms_a", params.noise_rms_a, params.noise_rms_a.is_finite() && params.noise_rms_a >= 0.0),
            (
                "full_scale_v",
                params.full_scale_v,
                params.full_scale_v.is_finite() && params.full_scale_v > 0.0,
            ),
            ("max_raw", params.max_raw as f64, params.max_raw > 0),
        ];
        for (field, value, ok) in checks {
            if !ok {
                return Err(ParamError {
                    field,
                    value,
                    requirement: "out of range (see CurrentSenseParams)",
                });
            }
        }
        Ok(CurrentSense { p: params, rng: Rng::new(seed) })
    }

    /// The parameters.
    pub fn params(&self) -> &CurrentSenseParams {
        &self.p
    }

    /// One conversion of current `current_a`: amplifier, noise, quantisation, clamping.
    pub fn sample(&mut self, current_a: f64) -> u16 {
        let noise = if self.p.noise_rms_a > 0.0 { self.p.noise_rms_a * self.rng.gaussian() } else { 0.0 };
        let volts = self.p.offset_v + self.p.gain_v_per_a * (current_a + noise);
        let code = (volts / self.p.full_scale_v * self.p.max_raw as f64).round();
        if code.is_nan() {
            return 0;
        }
        code.clamp(0.0, self.p.max_raw as f64) as u16
    }
}
