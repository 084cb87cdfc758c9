/* components/esp_system/include/esp_private/panic_internal.h: IDF's panic entry, called by
 * panic_handler.c; the component wraps it with -Wl,--wrap=esp_panic_handler. Only pointers
 * to panic_info_t are used here. */
#pragma once
typedef struct panic_info_t panic_info_t;
void esp_panic_handler(panic_info_t *info);
