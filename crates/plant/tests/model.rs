//! The plant against analytic solutions, the first law, the solver's order, and its sensors.

use splitcore_plant::*;

const H: f64 = 1e-6;

fn run(motor: &mut DcMotor, bridge: Bridge, seconds: f64, h: f64) {
    let steps = (seconds / h).round() as u64;
    for _ in 0..steps {
        motor.step(bridge, h);
    }
}

#[test]
fn locked_rotor_current_is_the_first_order_step_response() {
    // Static friction far above the stall torque locks the rotor.
    let p = MotorParams { coulomb_nm: 1e3, static_nm: 1e3, ..MotorParams::SMALL_12V };
    let mut motor = DcMotor::new(p).unwrap();
    let tau = p.electrical_time_constant_s();
    let v = 6.0; // duty 0.5 of 12 V
    let mut t = 0.0;
    for checkpoint in [0.25, 0.5, 1.0, 2.0, 5.0] {
        let until = checkpoint * tau;
        while t < until - H / 2.0 {
            motor.step(Bridge::Driven { duty: 0.5 }, H);
            t += H;
        }
        let analytic = v / p.resistance_ohm * (1.0 - (-t / tau).exp());
        let s = motor.state();
        assert!((s.current_a - analytic).abs() < 1e-9, "t = {t}: {} vs {analytic}", s.current_a);
        assert_eq!((s.velocity_rad_s, s.position_rad, s.stuck), (0.0, 0.0, true));
    }
}

/// The exact speed step response of the linear (no Coulomb friction) second-order model.
fn analytic_speed(p: &MotorParams, v: f64, t: f64) -> f64 {
    let (r, l, ke, kt, j, b) = (
        p.resistance_ohm,
        p.inductance_h,
        p.back_emf_v_s_per_rad,
        p.torque_nm_per_a,
        p.inertia_kg_m2,
        p.viscous_nm_s_per_rad,
    );
    // x' = A x + B v, x = (i, w): characteristic s^2 + (R/L + b/J) s + (R b + Kt Ke)/(L J).
    let tr = r / l + b / j;
    let det = (r * b + kt * ke) / (l * j);
    let disc = (tr * tr - 4.0 * det).sqrt();
    let (l1, l2) = ((-tr + disc) / 2.0, (-tr - disc) / 2.0);
    let w_ss = kt * v / (r * b + kt * ke);
    // w(0) = 0 and w'(0) = Kt i(0) / J = 0.
    let c1 = -w_ss * l2 / (l2 - l1);
    let c2 = w_ss * l1 / (l2 - l1);
    w_ss + c1 * (l1 * t).exp() + c2 * (l2 * t).exp()
}

#[test]
fn speed_follows_the_analytic_second_order_response_and_its_time_constant() {
    let p = MotorParams { coulomb_nm: 0.0, static_nm: 0.0, ..MotorParams::SMALL_12V };
    let mut motor = DcMotor::new(p).unwrap();
    let h = 5e-6;
    let v = 12.0;
    let w_ss = analytic_speed(&p, v, 10.0);
    let mut t = 0.0;
    let mut t63 = None;
    while t < 0.4 {
        motor.step(Bridge::Driven { duty: 1.0 }, h);
        t += h;
        let w = motor.state().velocity_rad_s;
        let exact = analytic_speed(&p, v, t);
        assert!((w - exact).abs() < 1e-6 * w_ss, "t = {t}: {w} vs {exact}");
        if t63.is_none() && w >= (1.0 - (-1.0f64).exp()) * w_ss {
            t63 = Some(t);
        }
    }
    // With L/R << J R / (Kt Ke + R b) the 63 % time is the mechanical time constant plus
    // about the electrical one.
    let expected = p.mechanical_time_constant_s() + p.electrical_time_constant_s();
    let t63 = t63.expect("reached 63 %");
    assert!((t63 / expected - 1.0).abs() < 0.02, "t63 {t63} vs {expected}");
    assert!((0.05..0.07).contains(&t63), "a realistic mechanical time constant: {t63}");
}

#[test]
fn energy_in_equals_losses_plus_stored_energy() {
    let mut motor = DcMotor::new(MotorParams::SMALL_12V).unwrap();
    let h = 5e-6;
    // Forward, load on, reverse through zero, bridge off (freewheel to zero current, coast to
    // a stop), forward again with a load pulling backwards.
    run(&mut motor, Bridge::Driven { duty: 0.6 }, 0.2, h);
    motor.set_load_torque(0.01).unwrap();
    run(&mut motor, Bridge::Driven { duty: 0.6 }, 0.1, h);
    run(&mut motor, Bridge::Driven { duty: -0.8 }, 0.3, h);
    run(&mut motor, Bridge::Off, 0.3, h);
    motor.set_load_torque(-0.004).unwrap();
    run(&mut motor, Bridge::Driven { duty: 0.3 }, 0.2, h);
    let e = motor.energy();
    let stored = motor.kinetic_energy_j() + motor.magnetic_energy_j();
    let out = e.resistive_j + e.friction_j + e.load_j + stored;
    assert!(e.electrical_in_j > 1.0, "{e:?}");
    assert!(e.friction_j > 0.0 && e.resistive_j > 0.0, "{e:?}");
    let rel = (e.electrical_in_j - out).abs() / e.electrical_in_j;
    assert!(rel < 1e-6, "energy balance off by {rel:e}: {e:?}, stored {stored}");
}

#[test]
fn rk4_error_falls_with_the_fourth_power_of_the_step() {
    let p = MotorParams { coulomb_nm: 0.0, static_nm: 0.0, ..MotorParams::SMALL_12V };
    let end = 2e-3;
    let speed_after = |h: f64| {
        let mut m = DcMotor::new(p).unwrap();
        run(&mut m, Bridge::Driven { duty: 1.0 }, end, h);
        m.state().velocity_rad_s
    };
    let exact = analytic_speed(&p, 12.0, end);
    let errors: Vec<f64> = [40e-6, 20e-6, 10e-6].iter().map(|&h| (speed_after(h) - exact).abs()).collect();
    for pair in errors.windows(2) {
        let ratio = pair[0] / pair[1];
        assert!((12.0..20.0).contains(&ratio), "halving h divided the error by {ratio}: {errors:?}");
    }
}

#[test]
fn stiction_holds_a_small_torque_and_a_coasting_shaft_stops_without_chattering() {
    let p = MotorParams::SMALL_12V;
    let mut motor = DcMotor::new(p).unwrap();
    // 0.2 V -> 0.1 A -> 2 mN·m < 3 mN·m static friction: never moves.
    run(&mut motor, Bridge::Driven { duty: 0.2 / 12.0 }, 0.1, 5e-6);
    let s = motor.state();
    assert!(s.stuck && s.velocity_rad_s == 0.0 && s.position_rad == 0.0, "{s:?}");
    // 0.8 V: 8 mN·m at stall breaks away.
    run(&mut motor, Bridge::Driven { duty: 0.8 / 12.0 }, 0.1, 5e-6);
    assert!(motor.state().velocity_rad_s > 1.0, "{:?}", motor.state());
    // Bridge off: the shaft coasts to a stop and then stays exactly still.
    let mut stopped_at = None;
    let mut sign_changes = 0;
    let mut last = motor.state().velocity_rad_s;
    for k in 0..100_000 {
        motor.step(Bridge::Off, 5e-6);
        let w = motor.state().velocity_rad_s;
        if w * last < 0.0 {
            sign_changes += 1;
        }
        if w == 0.0 && stopped_at.is_none() {
            stopped_at = Some(k);
        }
        if stopped_at.is_some() {
            assert_eq!(w, 0.0, "moved again at step {k}");
        }
        last = w;
    }
    assert!(stopped_at.is_some());
    assert_eq!(sign_changes, 0);
    assert_eq!(motor.state().current_a, 0.0, "the freewheeling current reached zero and stayed");
}

#[test]
fn a_load_above_stiction_drives_the_shaft_backwards() {
    let mut motor = DcMotor::new(MotorParams::SMALL_12V).unwrap();
    motor.set_load_torque(0.01).unwrap();
    run(&mut motor, Bridge::Driven { duty: 0.0 }, 0.2, 5e-6);
    assert!(motor.state().velocity_rad_s < -1.0, "{:?}", motor.state());
    assert!(motor.set_load_torque(f64::NAN).is_err());
}

#[test]
fn encoder_quantises_and_wraps() {
    let enc = Encoder::new(4096).unwrap();
    let q = enc.rad_per_count();
    assert_eq!(enc.count(0.0), 0);
    assert_eq!(enc.count(0.999 * q), 0);
    assert_eq!(enc.count(1.001 * q), 1);
    assert_eq!(enc.count(-0.5 * q), -1);
    assert_eq!(enc.count(-1000.0 * q - 1e-9), -1001);
    // 2^31 counts: the wrapping counter reads i32::MIN.
    assert_eq!(enc.count((1u64 << 31) as f64 * q + 0.5 * q), i32::MIN);
    assert_eq!(enc.count(((1u64 << 31) + 5) as f64 * q + 0.5 * q).wrapping_sub(i32::MAX), 6);
    assert_eq!(Encoder::new(2).unwrap_err().field, "counts_per_rev");
}

#[test]
fn current_sense_noise_is_seeded_and_has_the_stated_statistics() {
    let p = CurrentSenseParams::DEFAULT;
    let mut a = CurrentSense::new(p, 42).unwrap();
    let mut b = CurrentSense::new(p, 42).unwrap();
    let mut c = CurrentSense::new(p, 43).unwrap();
    let xs: Vec<u16> = (0..10_000).map(|_| a.sample(1.0)).collect();
    let ys: Vec<u16> = (0..10_000).map(|_| b.sample(1.0)).collect();
    let zs: Vec<u16> = (0..10_000).map(|_| c.sample(1.0)).collect();
    assert_eq!(xs, ys);
    assert_ne!(xs, zs);
    let amps: Vec<f64> = xs
        .iter()
        .map(|&r| (r as f64 / p.max_raw as f64 * p.full_scale_v - p.offset_v) / p.gain_v_per_a)
        .collect();
    let mean = amps.iter().sum::<f64>() / amps.len() as f64;
    let var = amps.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / amps.len() as f64;
    assert!((mean - 1.0).abs() < 0.003, "mean {mean}");
    // Noise plus quantisation (one code is 3.2 mA; its variance q^2/12 is small).
    assert!((var.sqrt() - p.noise_rms_a).abs() < 0.002, "rms {}", var.sqrt());
    let quiet = CurrentSenseParams { noise_rms_a: 0.0, ..p };
    let mut q = CurrentSense::new(quiet, 0).unwrap();
    assert_eq!(q.sample(-100.0), 0);
    assert_eq!(q.sample(f64::NAN), 0);
    let bad = CurrentSenseParams { gain_v_per_a: -1.0, ..p };
    assert_eq!(CurrentSense::new(bad, 0).unwrap_err().field, "gain_v_per_a");
}

#[test]
fn invalid_parameters_are_named() {
    let bad = MotorParams { static_nm: 0.001, ..MotorParams::SMALL_12V };
    let err = DcMotor::new(bad).unwrap_err();
    assert_eq!(err.to_string(), "static_nm = 0.001: must be >= coulomb_nm");
    let nan = MotorParams { inertia_kg_m2: f64::NAN, ..MotorParams::SMALL_12V };
    assert_eq!(DcMotor::new(nan).unwrap_err().field, "inertia_kg_m2");
}

#[test]
fn pwm_averaging_scales_the_supply_by_the_signed_duty() {
    let p = MotorParams { coulomb_nm: 0.0, static_nm: 0.0, ..MotorParams::SMALL_12V };
    let speed = |duty: f64| {
        let mut m = DcMotor::new(p).unwrap();
        run(&mut m, Bridge::Driven { duty }, 0.6, 5e-6);
        m.state().velocity_rad_s
    };
    // Steady state of the linear model: w = Kt V / (R b + Kt Ke), V = duty * supply.
    let w_per_volt = p.torque_nm_per_a
        / (p.resistance_ohm * p.viscous_nm_s_per_rad + p.torque_nm_per_a * p.back_emf_v_s_per_rad);
    for duty in [0.25, 0.5, -0.75, 1.0] {
        let w = speed(duty);
        let expected = w_per_volt * duty * p.supply_v;
        assert!((w / expected - 1.0).abs() < 1e-4, "duty {duty}: {w} vs {expected}");
    }
    // Out-of-range and NaN duties are clamped / treated as zero.
    assert_eq!(speed(3.0), speed(1.0));
    assert_eq!(speed(f64::NAN), 0.0);
}
