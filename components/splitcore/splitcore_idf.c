/*
 * ESP-IDF glue for splitcore: shutdown and panic hooks that hold core 1, the doorbell
 * interrupt from core 1, a periodic esp_timer that forwards core 1's log and runs the
 * supervisor, and the core-0 Rust panic hook. Everything else is Rust (splitcore.h).
 *
 * Facts relied on (FACTS.md): §4 esp_restart() runs shutdown handlers but the panic path does
 * not, and neither stops core 1 in a UNICORE build; §6 FROM_CPU_INTR1..3 are free in UNICORE,
 * level type, cleared by writing 0; esp_intr_alloc allocates on the calling core.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "sdkconfig.h"
#include "esp_attr.h"
#include "esp_err.h"
#include "esp_intr_alloc.h"
#include "esp_log.h"
#include "esp_system.h"
#include "esp_timer.h"
#include "esp_cpu.h"
#include "esp_rom_sys.h"
#include "esp32s3/rom/ets_sys.h"
#include "esp_private/panic_internal.h"

#include "splitcore.h"
#include "splitcore_idf.h"

static const char *TAG = "splitcore";
static const char *TAG_CORE1 = "core1";

static bool s_shutdown_registered;
static volatile uint32_t s_doorbell_count;

/* ---- log and report sinks ------------------------------------------------------------ */

static void log_line(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    ESP_LOGI(TAG_CORE1, "%.*s", (int)len, line);
}

static void error_line(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    ESP_LOGE(TAG_CORE1, "%.*s", (int)len, line);
}

int32_t splitcore_idf_print_crash(void)
{
    return splitcore_print_crash(error_line, NULL);
}

/* ---- core-0 Rust panic hook ---------------------------------------------------------- */

void splitcore_core0_panic(const uint8_t *message, size_t len)
{
    ESP_LOGE(TAG, "Rust panic on core 0: %.*s", (int)len, (const char *)message);
    abort();
}

/* ---- panic path: hold core 1 before IDF's panic handler ------------------------------- */

#if CONFIG_SPLITCORE_PANIC_HOLD_CORE1
/* Linked with -Wl,--wrap=esp_panic_handler (CMakeLists.txt): panic_handler.c's call to
 * esp_panic_handler() lands here. splitcore_shutdown() is two register writes in IRAM (the
 * archive is mapped noflash) and takes no lock, so it is safe with the cache disabled and
 * while another splitcore call was interrupted. */
void __real_esp_panic_handler(panic_info_t *info);
void __wrap_esp_panic_handler(panic_info_t *info);

IRAM_ATTR void __wrap_esp_panic_handler(panic_info_t *info)
{
    splitcore_shutdown();
    __real_esp_panic_handler(info);
}
#endif

/* ---- doorbell from core 1 -------------------------------------------------------------- */

#if CONFIG_SPLITCORE_DOORBELL_ISR
#define SPLITCORE_TO_CORE0_LINE (CONFIG_SPLITCORE_DOORBELL_TO_CORE0_SOURCE - SPLITCORE_FROM_CPU_INTR0_SOURCE)
#define SPLITCORE_TO_CORE0_REG (SPLITCORE_FROM_CPU_INTR_BASE + 4u * SPLITCORE_TO_CORE0_LINE)

static intr_handle_t s_doorbell_handle;

/* Level-type request: write 0 to SYSTEM_CPU_INTR_FROM_CPU_n_REG to clear it (FACTS §6,
 * crosscore_int_ll.h L17-38). In IRAM: it may run while the cache is disabled. */
static IRAM_ATTR void doorbell_isr(void *arg)
{
    (void)arg;
    *(volatile uint32_t *)(uintptr_t)SPLITCORE_TO_CORE0_REG = 0;
    s_doorbell_count = s_doorbell_count + 1;
}

static esp_err_t install_doorbell(void)
{
    if (s_doorbell_handle != NULL) {
        return ESP_OK;
    }
    return esp_intr_alloc(CONFIG_SPLITCORE_DOORBELL_TO_CORE0_SOURCE, ESP_INTR_FLAG_IRAM, doorbell_isr, NULL,
                          &s_doorbell_handle);
}
#endif

uint32_t splitcore_idf_doorbell_count(void)
{
    return s_doorbell_count;
}

/* ---- supervision and log forwarding ---------------------------------------------------- */

#if CONFIG_SPLITCORE_SUPERVISE
static esp_timer_handle_t s_timer;

static void supervise_tick(void *arg)
{
    (void)arg;
    int32_t lines = splitcore_poll_log(log_line, NULL, 32);
    if (lines == SPLITCORE_ERR_LOG_CORRUPT) {
        static bool s_reported;
        if (!s_reported) {
            ESP_LOGE(TAG, "core 1 corrupted its log ring; forwarding stops until the next start");
            s_reported = true;
        }
    }
    int32_t action = splitcore_supervise(esp_timer_get_time(), error_line, NULL);
    if (action == SPLITCORE_SUPERVISE_RESTART_CHIP) {
        esp_restart();
    } else if (action < 0 && action != SPLITCORE_ERR_BUSY && action != SPLITCORE_ERR_NOT_STARTED) {
        ESP_LOGE(TAG, "core 1 restart failed (%d); retrying after the backoff", (int)action);
    }
}

static esp_err_t start_timer(void)
{
    if (s_timer == NULL) {
        const esp_timer_create_args_t args = {
            .callback = supervise_tick,
            .arg = NULL,
            .dispatch_method = ESP_TIMER_TASK,
            .name = "splitcore",
            .skip_unhandled_events = true,
        };
        esp_err_t err = esp_timer_create(&args, &s_timer);
        if (err != ESP_OK) {
            return err;
        }
        return esp_timer_start_periodic(s_timer, (uint64_t)CONFIG_SPLITCORE_SUPERVISE_PERIOD_MS * 1000u);
    }
    return ESP_OK;
}
#endif

/* ---- start ------------------------------------------------------------------------------- */

/* The SPLITCORE_PERIPH_* mask of the peripherals selected in Kconfig. */
static uint32_t handover_mask(void)
{
    uint32_t mask = 0;
#if CONFIG_SPLITCORE_HANDOVER_MCPWM0
    mask |= SPLITCORE_PERIPH_MCPWM0;
#endif
#if CONFIG_SPLITCORE_HANDOVER_MCPWM1
    mask |= SPLITCORE_PERIPH_MCPWM1;
#endif
#if CONFIG_SPLITCORE_HANDOVER_PCNT
    mask |= SPLITCORE_PERIPH_PCNT;
#endif
#if CONFIG_SPLITCORE_HANDOVER_APB_SARADC
    mask |= SPLITCORE_PERIPH_APB_SARADC;
#endif
#if CONFIG_SPLITCORE_HANDOVER_SYSTIMER
    mask |= SPLITCORE_PERIPH_SYSTIMER;
#endif
#if CONFIG_SPLITCORE_HANDOVER_DEDICATED_GPIO
    mask |= SPLITCORE_PERIPH_DEDICATED_GPIO;
#endif
    return mask;
}

void splitcore_idf_default_config(splitcore_config_t *out)
{
    if (out == NULL) {
        return;
    }
    *out = (splitcore_config_t){
        .handshake_timeout_ms = CONFIG_SPLITCORE_HANDSHAKE_TIMEOUT_MS,
        .stop_timeout_ms = CONFIG_SPLITCORE_STOP_TIMEOUT_MS,
        .policy = SPLITCORE_POLICY_LOG,
    };
#if CONFIG_SPLITCORE_SUPERVISE
    out->heartbeat_timeout_ms = CONFIG_SPLITCORE_HEARTBEAT_TIMEOUT_MS;
#if CONFIG_SPLITCORE_POLICY_RESTART_CORE1
    out->policy = SPLITCORE_POLICY_RESTART_CORE1;
    out->max_restarts = CONFIG_SPLITCORE_MAX_RESTARTS;
    out->restart_backoff_ms = CONFIG_SPLITCORE_RESTART_BACKOFF_MS;
#elif CONFIG_SPLITCORE_POLICY_RESTART_CHIP
    out->policy = SPLITCORE_POLICY_RESTART_CHIP;
#endif
#endif
}

int32_t splitcore_idf_start(const splitcore_config_t *config)
{
    splitcore_config_t defaults;
    if (config == NULL) {
        splitcore_idf_default_config(&defaults);
        config = &defaults;
    }
    /* esp_restart() in UNICORE neither stalls nor resets core 1 (FACTS §4): hold it first. */
    if (!s_shutdown_registered) {
        esp_err_t err = esp_register_shutdown_handler(splitcore_shutdown);
        if (err != ESP_OK) {
            ESP_LOGE(TAG, "esp_register_shutdown_handler: %s", esp_err_to_name(err));
            return SPLITCORE_ERR_INVALID_ARG;
        }
        s_shutdown_registered = true;
    }
#if CONFIG_SPLITCORE_DOORBELL_ISR
    esp_err_t intr_err = install_doorbell();
    if (intr_err != ESP_OK) {
        ESP_LOGW(TAG, "doorbell interrupt not installed: %s", esp_err_to_name(intr_err));
    }
#endif
    /* Clocks on and resets released before core 1 runs (a restart finds them already on). */
    uint32_t peripherals = handover_mask();
    if (peripherals != 0) {
        int32_t handed = splitcore_handover_peripherals(peripherals);
        if (handed != SPLITCORE_OK && handed != SPLITCORE_ERR_ALREADY_RUNNING) {
            ESP_LOGE(TAG, "peripheral hand-over failed (%d)", (int)handed);
            return handed;
        }
    }
    int32_t result = splitcore_start(config);
    if (result != SPLITCORE_OK) {
        ESP_LOGE(TAG, "core 1 did not start (%d)", (int)result);
        if (result == SPLITCORE_ERR_CRASHED) {
            splitcore_idf_print_crash();
        }
        return result;
    }
#if CONFIG_SPLITCORE_SUPERVISE
    esp_err_t timer_err = start_timer();
    if (timer_err != ESP_OK) {
        ESP_LOGE(TAG, "supervision timer not started: %s", esp_err_to_name(timer_err));
    }
#endif
    ESP_LOGI(TAG, "core 1 running");
    return SPLITCORE_OK;
}
