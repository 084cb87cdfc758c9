//! A simulated core 1: each time the recording fake releases core 1, a thread plays the
//! runtime on the shared control block and log region, per a queue of behaviours.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use splitcore_core0::fake::RecordingRegs;
use splitcore_core0::{LOG, LOG_LAYOUT};
use splitcore_ipc::{Region, RegionBuf};
use splitcore_proto::control::{ControlBlock, Status, PROTOCOL_VERSION};
use splitcore_proto::crash::Reason;

pub const ENTRY: u32 = 0x4037_8000;

pub type LogBuf = RegionBuf<{ LOG_LAYOUT.size() }>;

/// What the simulated runtime does on one boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Attach, log a line, beat every millisecond, stop cooperatively when asked.
    Normal,
    /// Attach, then never beat again and ignore stop requests.
    Hang,
    /// Never reach the handshake.
    NeverAttach,
    /// Attach with protocol major version 2.
    WrongVersion,
    /// Crash (Rust panic record) before the handshake.
    CrashAtBoot,
    /// Attach, beat `n` times, then crash with a LoadProhibited exception.
    CrashAfter(u32),
    /// Attach, log `n` lines as fast as possible (dropping counted like the runtime), then beat.
    Flood(u32),
}

pub struct Sim {
    pub control: &'static ControlBlock,
    pub log: &'static LogBuf,
    pub queue: Arc<Mutex<VecDeque<Behaviour>>>,
    pub threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
    pub boots: Arc<Mutex<Vec<Behaviour>>>,
}

impl Sim {
    pub fn new() -> Self {
        Sim {
            control: Box::leak(Box::new(ControlBlock::new())),
            log: Box::leak(LogBuf::new_boxed()),
            queue: Arc::new(Mutex::new(VecDeque::new())),
            threads: Arc::new(Mutex::new(Vec::new())),
            boots: Arc::new(Mutex::new(Vec::new())),
        }
    }

    pub fn push(&self, behaviour: Behaviour) {
        self.queue.lock().unwrap().push_back(behaviour);
    }

    /// A real-time fake whose releases spawn simulated boots.
    pub fn regs(&self) -> RecordingRegs {
        let fake = RecordingRegs::unicore_boot_state().with_real_time();
        let running = fake.running_flag();
        let (control, log) = (self.control, self.log);
        let (queue, threads, boots) = (self.queue.clone(), self.threads.clone(), self.boots.clone());
        fake.on_release(move || {
            let behaviour = queue.lock().unwrap().pop_front().unwrap_or(Behaviour::Normal);
            boots.lock().unwrap().push(behaviour);
            let running = running.clone();
            let handle = std::thread::spawn(move || run(behaviour, control, log, &running));
            threads.lock().unwrap().push(handle);
        })
    }

    /// Waits for every simulated boot to end (they end once core 1 is held).
    pub fn join(&self) {
        let handles: Vec<_> = self.threads.lock().unwrap().drain(..).collect();
        for h in handles {
            h.join().unwrap();
        }
    }
}

fn alive(running: &AtomicBool) -> bool {
    running.load(Ordering::Acquire)
}

fn run(behaviour: Behaviour, control: &ControlBlock, log: &LogBuf, running: &AtomicBool) {
    // Boot takes a little while (ROM, trampoline).
    std::thread::sleep(Duration::from_millis(2));
    if !alive(running) {
        return;
    }
    let mut producer = Region::attach(log, &LOG_LAYOUT).and_then(|r| r.frame_producer(LOG)).ok();
    let mut say = |text: &str| {
        let sent = producer.as_mut().map(|p| p.send(text.as_bytes()).is_ok()).unwrap_or(false);
        if !sent {
            control.log_dropped.fetch_add(1, Ordering::Relaxed);
        }
    };
    match behaviour {
        Behaviour::NeverAttach => {
            while alive(running) {
                std::thread::sleep(Duration::from_millis(1));
            }
            return;
        }
        Behaviour::WrongVersion => {
            let _ = control.attach(2 << 16);
            return;
        }
        Behaviour::CrashAtBoot => {
            control.record_crash(|r| {
                r.reason = Reason::Panic as u32;
                r.set_message("boot failed");
                r.set_location("src/main.rs", 7);
                r.backtrace_len = 1;
                r.backtrace[0] = [0x4037_8123, 0x3fc9_8000];
            });
            return;
        }
        _ => {}
    }
    if control.attach(PROTOCOL_VERSION).is_err() {
        return;
    }
    control.stack_high_water.store(1234, Ordering::Relaxed);
    say(&format!("hello from core 1 (boot {})", control.boot_count.load(Ordering::Relaxed)));
    if let Behaviour::Flood(n) = behaviour {
        for i in 0..n {
            say(&format!("line {i}"));
        }
    }
    let mut beats = 0u32;
    while alive(running) {
        match behaviour {
            Behaviour::Hang => {}
            Behaviour::CrashAfter(n) if beats >= n => {
                control.record_crash(|r| {
                    r.reason = Reason::Exception as u32;
                    r.exccause = 28;
                    r.pc = 0x4037_9000;
                    r.excvaddr = 0;
                    r.a[1] = 0x3fc9_7f00;
                    r.backtrace_len = 2;
                    r.backtrace[0] = [0x4037_9000, 0x3fc9_7f00];
                    r.backtrace[1] = [0x4037_9100, 0x3fc9_7f20];
                });
                return;
            }
            _ => {
                beats += 1;
                control.heartbeat.fetch_add(1, Ordering::Release);
                if control.stop_request.load(Ordering::Acquire) != 0 {
                    let _ = control.transition(Status::Stopping);
                    say("stopping");
                    let _ = control.transition(Status::Stopped);
                    return;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}
