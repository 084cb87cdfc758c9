/* components/esp_common/include/esp_attr.h: IRAM_ATTR places code in IRAM (.iram1). */
#pragma once
#define IRAM_ATTR __attribute__((section(".iram1")))
