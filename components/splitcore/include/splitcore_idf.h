/* ESP-IDF glue of the splitcore component (splitcore_idf.c). The Rust C ABI is in splitcore.h. */
#ifndef SPLITCORE_IDF_H
#define SPLITCORE_IDF_H

#include <stddef.h>
#include <stdint.h>

#include "splitcore.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fills `out` from the Kconfig options (CONFIG_SPLITCORE_*). */
void splitcore_idf_default_config(splitcore_config_t *out);

/* Registers the shutdown handler, installs the doorbell interrupt (if configured), starts
 * core 1 with `config` (NULL: the Kconfig defaults) and then the supervision/log timer (if
 * configured). Returns splitcore_start()'s result (SPLITCORE_OK or a negative SPLITCORE_ERR_*);
 * on failure the crash report, if any, is printed. Safe to call again after a stop. */
int32_t splitcore_idf_start(const splitcore_config_t *config);

/* How often core 1 rang core 0's doorbell. */
uint32_t splitcore_idf_doorbell_count(void);

/* Prints core 1's crash report with ESP_LOGE (tag "core1"). Returns the number of lines or a
 * negative SPLITCORE_ERR_* (SPLITCORE_ERR_NO_CRASH when there is none). */
int32_t splitcore_idf_print_crash(void);

/* Called by the Rust runtime's panic handler when Rust code panics on core 0: logs the
 * message and aborts (IDF's panic path, which holds core 1 through the panic wrapper). */
void splitcore_core0_panic(const uint8_t *message, size_t len) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif

#endif /* SPLITCORE_IDF_H */
