/* components/esp_rom/include/esp_rom_sys.h; called from Rust (hw.rs). */
#pragma once
#include <stdint.h>
void esp_rom_delay_us(uint32_t us);
