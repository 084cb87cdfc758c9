//! A pure supervision state machine: fed the time, core 1's heartbeat counter and status, it
//! says what to do. It performs nothing itself, so it is tested with simulated time; the C ABI
//! ([`crate::ffi::splitcore_supervise`]) carries the actions out.
//!
//! Faults: core 1 `Crashed`; `Running` with a heartbeat that did not move for
//! `heartbeat_timeout_us` (only when that is non-zero); `Incompatible`; a corrupt status word.
//! `Off`, `Booting`, `Stopping` and `Stopped` are not faults (core 0 is starting or stopping it).
//!
//! Each fault episode is reported once. The action depends on [`Policy`]:
//! * `Log`: [`Action::Report`], nothing else.
//! * `RestartCore1`: [`Action::RestartCore1`] after a backoff that doubles per restart
//!   (`backoff_us`, `2 * backoff_us`, ... capped at `backoff_max_us`); after `max_restarts`
//!   restarts without a stable period in between, [`Action::GiveUp`] once. A period of
//!   `stable_us` running with a live heartbeat resets the count. `Incompatible` is never
//!   restarted (the same image would mismatch again): it is reported.
//! * `RestartChip`: [`Action::RestartChip`] (the glue calls `esp_restart()`).

use splitcore_proto::control::Status;

/// What to do when core 1 fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Policy {
    /// Report only.
    Log = 0,
    /// Restart core 1 (with backoff and a limit).
    RestartCore1 = 1,
    /// Restart the chip.
    RestartChip = 2,
}

impl Policy {
    /// Decodes a raw value.
    pub const fn from_raw(raw: u32) -> Option<Self> {
        match raw {
            0 => Some(Policy::Log),
            1 => Some(Policy::RestartCore1),
            2 => Some(Policy::RestartChip),
            _ => None,
        }
    }
}

/// Supervision settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupervisorConfig {
    /// What to do on a fault.
    pub policy: Policy,
    /// A running core whose heartbeat does not move for this long is hung (0: not checked).
    pub heartbeat_timeout_us: u64,
    /// Restarts allowed without a stable period in between.
    pub max_restarts: u32,
    /// Wait before the first restart; doubles for each further one.
    pub backoff_us: u64,
    /// Upper bound of the backoff.
    pub backoff_max_us: u64,
    /// Running this long with a live heartbeat resets the restart count.
    pub stable_us: u64,
}

impl Default for SupervisorConfig {
    fn default() -> Self {
        SupervisorConfig {
            policy: Policy::Log,
            heartbeat_timeout_us: 1_000_000,
            max_restarts: 3,
            backoff_us: 100_000,
            backoff_max_us: 10_000_000,
            stable_us: 10_000_000,
        }
    }
}

/// A detected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Core 1 crashed (the crash record is valid).
    Crashed,
    /// The heartbeat did not move for `silent_us`.
    Hung {
        /// Microseconds since the heartbeat last moved.
        silent_us: u64,
    },
    /// The runtime reported a protocol mismatch.
    Incompatible,
    /// The status word holds no valid status.
    CorruptStatus,
}

/// What the caller should do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Nothing.
    None,
    /// Report the fault (policy `Log`, or a fault restarting cannot fix).
    Report(Fault),
    /// Report the fault, restart core 1, then call [`Supervisor::restarted`].
    RestartCore1 {
        /// The fault.
        fault: Fault,
        /// 1 for the first restart of this series.
        attempt: u32,
    },
    /// Report the fault and restart the chip.
    RestartChip(Fault),
    /// The restart limit is reached: report; core 1 stays held.
    GiveUp(Fault),
}

/// The state machine.
#[derive(Debug, Clone)]
pub struct Supervisor {
    config: SupervisorConfig,
    last_beat: u32,
    last_beat_change_us: u64,
    healthy_since_us: Option<u64>,
    restarts: u32,
    fault_since_us: Option<u64>,
    reported: bool,
    gave_up: bool,
}

impl Supervisor {
    /// A supervisor; `now_us` is the time core 1 was (or will be) started.
    pub fn new(config: SupervisorConfig, now_us: u64) -> Self {
        Supervisor {
            config,
            last_beat: 0,
            last_beat_change_us: now_us,
            healthy_since_us: None,
            restarts: 0,
            fault_since_us: None,
            reported: false,
            gave_up: false,
        }
    }

    /// The settings.
    pub fn config(&self) -> &SupervisorConfig {
        &self.config
    }

    /// Restarts in the current series.
    pub fn restarts(&self) -> u32 {
        self.restarts
    }

    /// Tells the supervisor core 1 was (re)started at `now_us` (by it or by the user): the
    /// heartbeat timeout counts from here and the current fault episode ends.
    pub fn restarted(&mut self, now_us: u64, heartbeat: u32) {
        self.last_beat = heartbeat;
        self.last_beat_change_us = now_us;
        self.healthy_since_us = None;
        self.fault_since_us = None;
        self.reported = false;
        self.gave_up = false;
    }

    fn backoff(&self) -> u64 {
        let shift = self.restarts.min(32);
        self.config
            .backoff_us
            .saturating_mul(1u64 << shift)
            .min(self.config.backoff_max_us.max(self.config.backoff_us))
    }

    /// One supervision step.
    pub fn poll(&mut self, now_us: u64, heartbeat: u32, status: Option<Status>) -> Action {
        let fault = match status {
            Some(Status::Running) => {
                if heartbeat != self.last_beat {
                    self.last_beat = heartbeat;
                    self.last_beat_change_us = now_us;
                    if self.fault_since_us.take().is_some() {
                        // A hang that recovered by itself.
                        self.reported = false;
                    }
                }
                let silent_us = now_us.saturating_sub(self.last_beat_change_us);
                if self.config.heartbeat_timeout_us != 0 && silent_us >= self.config.heartbeat_timeout_us {
                    Some(Fault::Hung { silent_us })
                } else {
                    let since = *self.healthy_since_us.get_or_insert(now_us);
                    if now_us.saturating_sub(since) >= self.config.stable_us {
                        self.restarts = 0;
                    }
                    None
                }
            }
            Some(Status::Crashed) => Some(Fault::Crashed),
            Some(Status::Incompatible) => Some(Fault::Incompatible),
            None => Some(Fault::CorruptStatus),
            Some(Status::Off | Status::Booting | Status::Stopping | Status::Stopped) => {
                // Not supervised: core 0 is starting or stopping core 1.
                self.last_beat_change_us = now_us;
                self.healthy_since_us = None;
                None
            }
        };
        let Some(fault) = fault else {
            return Action::None;
        };
        self.healthy_since_us = None;
        let since = *self.fault_since_us.get_or_insert(now_us);
        match (self.config.policy, fault) {
            (Policy::Log, _) | (Policy::RestartCore1, Fault::Incompatible) => {
                if self.reported {
                    Action::None
                } else {
                    self.reported = true;
                    Action::Report(fault)
                }
            }
            (Policy::RestartChip, _) => {
                if self.reported {
                    Action::None
                } else {
                    self.reported = true;
                    Action::RestartChip(fault)
                }
            }
            (Policy::RestartCore1, _) => {
                if self.restarts >= self.config.max_restarts {
                    if self.gave_up {
                        return Action::None;
                    }
                    self.gave_up = true;
                    return Action::GiveUp(fault);
                }
                if now_us.saturating_sub(since) < self.backoff() {
                    return Action::None;
                }
                self.restarts += 1;
                Action::RestartCore1 { fault, attempt: self.restarts }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1000;

    fn config(policy: Policy) -> SupervisorConfig {
        SupervisorConfig {
            policy,
            heartbeat_timeout_us: 100 * MS,
            max_restarts: 2,
            backoff_us: 10 * MS,
            backoff_max_us: 15 * MS,
            stable_us: 500 * MS,
        }
    }

    #[test]
    fn a_beating_core_is_left_alone() {
        let mut s = Supervisor::new(config(Policy::RestartCore1), 0);
        for t in 0..100u64 {
            assert_eq!(s.poll(t * 50 * MS, t as u32, Some(Status::Running)), Action::None);
        }
    }

    #[test]
    fn a_silent_heartbeat_is_a_hang_after_the_timeout() {
        let mut s = Supervisor::new(config(Policy::Log), 0);
        assert_eq!(s.poll(0, 7, Some(Status::Running)), Action::None);
        assert_eq!(s.poll(99 * MS, 7, Some(Status::Running)), Action::None);
        assert_eq!(
            s.poll(100 * MS, 7, Some(Status::Running)),
            Action::Report(Fault::Hung { silent_us: 100 * MS })
        );
        // Reported once per episode.
        assert_eq!(s.poll(300 * MS, 7, Some(Status::Running)), Action::None);
        // Recovery, then a new hang is reported again.
        assert_eq!(s.poll(310 * MS, 8, Some(Status::Running)), Action::None);
        assert_eq!(
            s.poll(410 * MS, 8, Some(Status::Running)),
            Action::Report(Fault::Hung { silent_us: 100 * MS })
        );
    }

    #[test]
    fn heartbeat_timeout_zero_disables_hang_detection() {
        let mut c = config(Policy::Log);
        c.heartbeat_timeout_us = 0;
        let mut s = Supervisor::new(c, 0);
        assert_eq!(s.poll(3_600_000 * MS, 0, Some(Status::Running)), Action::None);
    }

    #[test]
    fn restarts_back_off_double_and_stop_at_the_limit() {
        let mut s = Supervisor::new(config(Policy::RestartCore1), 0);
        // Crash at t=0: first restart after 10 ms.
        assert_eq!(s.poll(0, 0, Some(Status::Crashed)), Action::None);
        assert_eq!(s.poll(9 * MS, 0, Some(Status::Crashed)), Action::None);
        assert_eq!(
            s.poll(10 * MS, 0, Some(Status::Crashed)),
            Action::RestartCore1 { fault: Fault::Crashed, attempt: 1 }
        );
        s.restarted(11 * MS, 0);
        // Crash again: backoff 20 ms capped at 15 ms.
        assert_eq!(s.poll(20 * MS, 0, Some(Status::Crashed)), Action::None);
        assert_eq!(s.poll(34 * MS, 0, Some(Status::Crashed)), Action::None);
        assert_eq!(
            s.poll(35 * MS, 0, Some(Status::Crashed)),
            Action::RestartCore1 { fault: Fault::Crashed, attempt: 2 }
        );
        s.restarted(36 * MS, 0);
        // Third fault: limit (2) reached, give up once.
        assert_eq!(s.poll(40 * MS, 0, Some(Status::Crashed)), Action::GiveUp(Fault::Crashed));
        assert_eq!(s.poll(1000 * MS, 0, Some(Status::Crashed)), Action::None);
    }

    #[test]
    fn a_stable_period_resets_the_restart_count() {
        let mut s = Supervisor::new(config(Policy::RestartCore1), 0);
        assert_eq!(s.poll(10 * MS, 0, Some(Status::Crashed)), Action::None);
        assert_eq!(
            s.poll(20 * MS, 0, Some(Status::Crashed)),
            Action::RestartCore1 { fault: Fault::Crashed, attempt: 1 }
        );
        s.restarted(20 * MS, 0);
        let mut t = 20 * MS;
        let mut beat = 0;
        while t < 600 * MS {
            t += 50 * MS;
            beat += 1;
            assert_eq!(s.poll(t, beat, Some(Status::Running)), Action::None);
        }
        assert_eq!(s.restarts(), 0);
        // Hang: counted as attempt 1 again.
        assert_eq!(s.poll(t + 100 * MS, beat, Some(Status::Running)), Action::None, "backoff first");
        assert_eq!(
            s.poll(t + 110 * MS, beat, Some(Status::Running)),
            Action::RestartCore1 { fault: Fault::Hung { silent_us: 110 * MS }, attempt: 1 }
        );
    }

    #[test]
    fn incompatible_is_reported_not_restarted() {
        let mut s = Supervisor::new(config(Policy::RestartCore1), 0);
        assert_eq!(s.poll(0, 0, Some(Status::Incompatible)), Action::Report(Fault::Incompatible));
        assert_eq!(s.poll(MS * 1000, 0, Some(Status::Incompatible)), Action::None);
    }

    #[test]
    fn chip_restart_policy_and_corrupt_status() {
        let mut s = Supervisor::new(config(Policy::RestartChip), 0);
        assert_eq!(s.poll(0, 0, None), Action::RestartChip(Fault::CorruptStatus));
        assert_eq!(s.poll(1, 0, None), Action::None);
    }

    #[test]
    fn stopped_or_off_is_not_a_fault() {
        let mut s = Supervisor::new(config(Policy::RestartCore1), 0);
        for status in [Status::Off, Status::Booting, Status::Stopping, Status::Stopped] {
            assert_eq!(s.poll(10_000 * MS, 0, Some(status)), Action::None);
        }
        // Timeout counts from the last unsupervised poll, not from creation.
        assert_eq!(s.poll(10_050 * MS, 0, Some(Status::Running)), Action::None);
    }
}
