//! The three mistakes `splitcore check` exists to catch, as a user would make them on core 1.
//! CI builds this for the ESP32-S3 and requires the checker to name each one
//! (`cargo xtask check-bad`); nothing runs it.
#![no_std]

use core::hint::black_box;

extern "C" {
    /// FreeRTOS, linked into flash by ESP-IDF and only valid on a FreeRTOS task: calling it from
    /// core 1 freezes the core during the next flash write, if the scheduler check does not
    /// abort first.
    fn vTaskDelay(ticks: u32);
}

/// Mistake 2: recursion, so no stack bound exists without an annotation.
#[inline(never)]
fn fibonacci(n: u32) -> u32 {
    if n < 2 {
        n
    } else {
        fibonacci(n - 1).wrapping_add(fibonacci(n - 2))
    }
}

/// Mistake 3: a 20 000-byte frame on a 16 KiB stack.
#[inline(never)]
fn moving_average(sample: f32) -> f32 {
    let mut history = [0f32; 5_000];
    let history = black_box(&mut history);
    history[black_box(7)] = sample;
    history.iter().sum::<f32>() / history.len() as f32
}

fn main() {
    loop {
        let average = moving_average(black_box(1.0));
        black_box(fibonacci(black_box(average as u32 + 20)));
        // Mistake 1: a FreeRTOS call from core 1.
        // SAFETY: none; this is the bug the checker must report (the crate is never linked).
        unsafe { vTaskDelay(1) };
        if splitcore_rt::stop_requested() {
            return;
        }
    }
}

splitcore_rt::entry!(main);
