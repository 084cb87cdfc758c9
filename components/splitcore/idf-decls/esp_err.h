/* components/esp_common/include/esp_err.h */
#pragma once
#include <stdint.h>
typedef int esp_err_t;
#define ESP_OK 0
#define ESP_FAIL -1
#define ESP_ERR_NO_MEM 0x101
#define ESP_ERR_INVALID_ARG 0x102
#define ESP_ERR_INVALID_STATE 0x103
const char *esp_err_to_name(esp_err_t code);
/* ESP_ERROR_CHECK: abort with the expression and location when `x` is not ESP_OK. */
void _esp_error_check_failed(esp_err_t rc, const char *file, int line, const char *function, const char *expression)
    __attribute__((noreturn));
#define ESP_ERROR_CHECK(x)                                                                \
    do {                                                                                  \
        esp_err_t err_rc_ = (x);                                                          \
        if (err_rc_ != ESP_OK) {                                                          \
            _esp_error_check_failed(err_rc_, __FILE__, __LINE__, __func__, #x);           \
        }                                                                                 \
    } while (0)
