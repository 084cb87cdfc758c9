/* components/esp_hw_support/include/esp_cpu.h L91/L98 (FACTS §2); called from Rust (hw.rs). */
#pragma once
void esp_cpu_stall(int core_id);
void esp_cpu_unstall(int core_id);
