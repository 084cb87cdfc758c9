/* components/esp_rom/esp32s3/include/esp32s3/rom/ets_sys.h L95-103; ROM 0x40000720
 * (esp32s3.rom.ld L51, FACTS §3); called from Rust (hw.rs). */
#pragma once
#include <stdint.h>
void ets_set_appcpu_boot_addr(uint32_t start);
