/* @NAME@, core 0: ESP-IDF starts core 1 and supervises it. Core 1's log lines appear with the
 * tag "core1"; a crash prints its report and core 1 is restarted (idf.py menuconfig → splitcore). */
#include <stdint.h>

#include "esp_log.h"
#include "splitcore_idf.h"

static const char *TAG = "@NAME@";

void app_main(void)
{
    int32_t st = splitcore_idf_start(NULL); /* the Kconfig settings */
    if (st != SPLITCORE_OK) {
        ESP_LOGE(TAG, "core 1 did not start (%d)", (int)st);
        return;
    }
    ESP_LOGI(TAG, "core 1 running");
}
