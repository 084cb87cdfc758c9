/* components/esp_hw_support/include/esp_intr_alloc.h (esp_intr_alloc: L169; flags: L42) */
#pragma once
#include "esp_err.h"
#define ESP_INTR_FLAG_IRAM (1 << 10)
typedef void (*intr_handler_t)(void *arg);
typedef struct intr_handle_data_t *intr_handle_t;
esp_err_t esp_intr_alloc(int source, int flags, intr_handler_t handler, void *arg, intr_handle_t *ret_handle);
