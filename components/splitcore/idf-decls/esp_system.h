/* components/esp_system/include/esp_system.h */
#pragma once
#include "esp_err.h"
typedef void (*shutdown_handler_t)(void);
esp_err_t esp_register_shutdown_handler(shutdown_handler_t handle);
void esp_restart(void) __attribute__((noreturn));
