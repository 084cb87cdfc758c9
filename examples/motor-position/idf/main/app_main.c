/*
 * The motor-position example's core-0 application (ESP-IDF): initialises the shared region of
 * control/src/protocol.rs, starts core 1, serves the dashboard over WiFi, forwards core 1's
 * telemetry frames and loop statistics to the pages unchanged, page setpoints into the
 * mailbox, and core 1's log lines and crash reports to the console and the pages. It also
 * supervises core 1: after a crash or a hang it re-initialises the region and restarts it
 * (Kconfig MOTOR_MAX_RESTARTS, MOTOR_RESTART_BACKOFF_MS).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sdkconfig.h"
#include "esp_err.h"
#include "esp_event.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "freertos/task.h"
#include "nvs_flash.h"

#include "splitcore_idf.h"
#include "splitcore_ipc.h"

#include "bridge.h"
#include "web.h"
#include "wifi.h"

static const char *TAG = "motor";
static const char *TAG_CORE1 = "core1";

/* The shared region. Core 1's program finds it by this symbol
 * (`extern "C" { static motor_position_region: ... }`) and attaches with protocol.rs's LAYOUT
 * after core 0 initialised it here. It is in .bss, i.e. internal DRAM (never PSRAM: that would
 * need EXT_RAM_BSS_ATTR). MOTOR_REGION_BYTES covers LAYOUT.size() on the ESP32-S3 (checked at
 * start-up). */
#define MOTOR_REGION_BYTES 8192
#define MOTOR_REGION_ALIGN 16
__attribute__((aligned(MOTOR_REGION_ALIGN))) uint8_t motor_position_region[MOTOR_REGION_BYTES];

#define STATS_PERIOD_MS 100
#define STATUS_PERIOD_MS 500
#define LOG_LINES_PER_TICK 16

static motor_bridge_t s_bridge;
static uint32_t s_region_len;
static SemaphoreHandle_t s_bridge_lock; /* setpoint writes vs. re-initialisation */
static splitcore_config_t s_config;
static uint32_t s_restarts;
static bool s_crash_sent;
static bool s_restart_pending;
static int64_t s_restart_at_us;

/* Large buffers of the forwarding task, kept off its stack. */
static uint8_t s_telemetry_msg[MOTOR_WIRE_HEADER_LEN + MOTOR_WIRE_MAX_SAMPLES * MOTOR_SAMPLE_SIZE];
static uint8_t s_stats_msg[MOTOR_WIRE_HEADER_LEN + MOTOR_STATS_SIZE];
static char s_report[2048];
static char s_json[2600];
static char s_line_json[320];

/* Sends a message to every page and keeps it for pages that connect later. */
static void publish_latest(int slot, const uint8_t *data, size_t len, bool binary)
{
    motor_web_set_snapshot(slot, data, len, binary);
    motor_web_broadcast(data, len, binary);
}

/* ---- core 1's log and faults, to the console and the pages ----------------------------- */

static void forward_line(const char *line, size_t len)
{
    size_t n = motor_json_text(s_line_json, sizeof s_line_json, "log", "line", line, len);
    if (n > 0) {
        motor_web_broadcast((const uint8_t *)s_line_json, n, false);
    }
}

static void log_sink(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    ESP_LOGI(TAG_CORE1, "%.*s", (int)len, line);
    forward_line(line, len);
}

static void fault_sink(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    ESP_LOGE(TAG_CORE1, "%.*s", (int)len, line);
    forward_line(line, len);
}

static void publish_crash(void)
{
    int32_t n = splitcore_crash_report(s_report, sizeof s_report);
    if (n <= 0) {
        return; /* a hang, or no record: the fault lines went out through fault_sink */
    }
    size_t len = motor_json_text(s_json, sizeof s_json, "crash", "report", s_report, (size_t)n);
    if (len > 0) {
        publish_latest(MOTOR_WEB_SNAPSHOT_CRASH, (const uint8_t *)s_json, len, false);
    }
    s_crash_sent = true;
}

/* ---- setpoints from the pages (server task) ------------------------------------------- */

static bool on_command(const char *text, size_t len, char *reply, size_t cap, char *echo, size_t echo_cap)
{
    motor_command_t cmd;
    char err[160];
    motor_cmd_result_t r = motor_parse_command(text, len, &cmd, err, sizeof err);
    if (r != MOTOR_CMD_OK) {
        motor_json_error(reply, cap, motor_command_error_code(r), err);
        return false;
    }
    xSemaphoreTake(s_bridge_lock, portMAX_DELAY);
    int32_t st = motor_apply_command(&s_bridge, &cmd);
    uint32_t seq = s_bridge.seq;
    xSemaphoreGive(s_bridge_lock);
    if (st != SPLITCORE_STATUS_OK) {
        motor_json_error(reply, cap, "mailbox", splitcore_status_str(st));
        return false;
    }
    if (cmd.mode == MOTOR_MODE_POSITION) {
        ESP_LOGI(TAG, "setpoint #%lu: %.3f rad at <= %.1f rad/s", (unsigned long)seq, (double)cmd.position_rad,
                 (double)cmd.velocity_limit_rad_s);
    } else {
        ESP_LOGI(TAG, "setpoint #%lu: disabled", (unsigned long)seq);
    }
    return motor_json_command(echo, echo_cap, &cmd) > 0;
}

/* ---- core 1 start and restart ------------------------------------------------------------ */

/* Core 1 must be held. Re-initialises the region (core 1's old claims go with it). */
static int32_t init_region(void)
{
    xSemaphoreTake(s_bridge_lock, portMAX_DELAY);
    motor_bridge_close(&s_bridge);
    uint32_t seq = s_bridge.seq;
    int32_t st = motor_bridge_init(&s_bridge, motor_position_region, s_region_len, 1);
    s_bridge.seq = seq; /* keep counting: core 1 tells new commands by a changed seq */
    xSemaphoreGive(s_bridge_lock);
    if (st != SPLITCORE_STATUS_OK) {
        ESP_LOGE(TAG, "shared region: %s", splitcore_status_str(st));
    }
    return st;
}

static void restart_core1(void)
{
    s_restart_pending = false;
    splitcore_stop(0);
    if (init_region() != SPLITCORE_STATUS_OK) {
        return;
    }
    s_restarts++;
    s_crash_sent = false;
    int32_t st = splitcore_idf_start(&s_config);
    ESP_LOGW(TAG, "core 1 restarted (%lu of at most %d): %s", (unsigned long)s_restarts, CONFIG_MOTOR_MAX_RESTARTS,
             st == SPLITCORE_OK ? "running" : "failed");
}

static void supervise(int64_t now_us)
{
    int32_t action = splitcore_supervise(now_us, fault_sink, NULL);
    if (action == SPLITCORE_SUPERVISE_REPORTED && !s_restart_pending) {
        publish_crash();
        if (s_restarts < CONFIG_MOTOR_MAX_RESTARTS) {
            s_restart_pending = true;
            s_restart_at_us = now_us + (int64_t)CONFIG_MOTOR_RESTART_BACKOFF_MS * 1000;
        } else {
            ESP_LOGE(TAG, "core 1 faulted; restart limit (%d) reached, it stays held", CONFIG_MOTOR_MAX_RESTARTS);
            splitcore_stop(0);
        }
    } else if (action < 0 && action != SPLITCORE_ERR_BUSY && action != SPLITCORE_ERR_NOT_STARTED) {
        ESP_LOGE(TAG, "splitcore_supervise: %d", (int)action);
    }
    if (s_restart_pending && now_us >= s_restart_at_us) {
        restart_core1();
    }
}

/* ---- forwarding ------------------------------------------------------------------------- */

static void publish_status(int64_t now_us)
{
    int32_t status = splitcore_status();
    if (status == SPLITCORE_CORE1_CRASHED && !s_crash_sent) {
        publish_crash();
    }
    int32_t heartbeat = splitcore_heartbeat();
    int32_t stack = splitcore_stack_high_water();
    char detail[96];
    snprintf(detail, sizeof detail, "ESP32-S3, %lu pages, %lu messages dropped, %lu bad frames",
             (unsigned long)motor_web_clients(), (unsigned long)motor_web_dropped(),
             (unsigned long)s_bridge.bad_frames);
    size_t n = motor_json_status(s_json, sizeof s_json, motor_core1_state_name(status),
                                 heartbeat > 0 ? (uint32_t)heartbeat : 0u, stack > 0 ? (uint32_t)stack : 0u,
                                 s_restarts, (uint64_t)(now_us / 1000), detail);
    if (n > 0) {
        publish_latest(MOTOR_WEB_SNAPSHOT_STATUS, (const uint8_t *)s_json, n, false);
    }
}

static void forward_telemetry(void)
{
    for (;;) {
        int32_t n = motor_pack_telemetry(&s_bridge, s_telemetry_msg, sizeof s_telemetry_msg, MOTOR_WIRE_MAX_SAMPLES);
        if (n > 0) {
            motor_web_broadcast(s_telemetry_msg, (size_t)n, true);
            continue;
        }
        if (n < 0) {
            static bool s_reported;
            if (!s_reported) {
                ESP_LOGE(TAG, "telemetry ring: %s; forwarding paused until core 1 restarts", splitcore_status_str(n));
                s_reported = true;
            }
        }
        return;
    }
}

static void forward_task(void *arg)
{
    (void)arg;
    TickType_t wake = xTaskGetTickCount();
    int64_t next_stats = 0, next_status = 0;
    for (;;) {
        xTaskDelayUntil(&wake, pdMS_TO_TICKS(CONFIG_MOTOR_FORWARD_PERIOD_MS));
        int64_t now = esp_timer_get_time();
        uint32_t events = 0;
        splitcore_events_take(&s_bridge.events, &events); /* forwarding polls; just clear them */
        forward_telemetry();
        if (now >= next_stats) {
            next_stats = now + STATS_PERIOD_MS * 1000;
            int32_t n = motor_pack_stats(&s_bridge, s_stats_msg, sizeof s_stats_msg);
            if (n > 0) {
                publish_latest(MOTOR_WEB_SNAPSHOT_STATS, s_stats_msg, (size_t)n, true);
            }
        }
        int32_t lines = splitcore_poll_log(log_sink, NULL, LOG_LINES_PER_TICK);
        if (lines == SPLITCORE_ERR_LOG_CORRUPT) {
            static bool s_log_reported;
            if (!s_log_reported) {
                ESP_LOGE(TAG, "core 1 corrupted its log ring; forwarding stops until the next start");
                s_log_reported = true;
            }
        }
        supervise(now);
        if (now >= next_status) {
            next_status = now + STATUS_PERIOD_MS * 1000;
            publish_status(now);
        }
    }
}

/* ---- start-up ------------------------------------------------------------------------ */

void app_main(void)
{
    esp_err_t err = nvs_flash_init(); /* WiFi keeps its calibration there */
    if (err == ESP_ERR_NVS_NO_FREE_PAGES || err == ESP_ERR_NVS_NEW_VERSION_FOUND) {
        ESP_ERROR_CHECK(nvs_flash_erase());
        err = nvs_flash_init();
    }
    ESP_ERROR_CHECK(err);
    ESP_ERROR_CHECK(esp_netif_init());
    ESP_ERROR_CHECK(esp_event_loop_create_default());

    s_bridge_lock = xSemaphoreCreateMutex();
    if (s_bridge_lock == NULL) {
        ESP_LOGE(TAG, "out of memory");
        return;
    }
    uint32_t align = 0;
    int32_t st = motor_region_size(&s_region_len, &align);
    if (st != SPLITCORE_STATUS_OK || s_region_len > sizeof motor_position_region || align > MOTOR_REGION_ALIGN) {
        ESP_LOGE(TAG, "the protocol's region needs %lu bytes aligned to %lu (have %u, %d): %s",
                 (unsigned long)s_region_len, (unsigned long)align, (unsigned)sizeof motor_position_region,
                 MOTOR_REGION_ALIGN, splitcore_status_str(st));
        return;
    }
    if (init_region() != SPLITCORE_STATUS_OK) {
        return;
    }

    err = motor_web_start(on_command);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "dashboard server not started: %s", esp_err_to_name(err));
    }
    err = motor_wifi_start();
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "WiFi not started: %s", esp_err_to_name(err));
    }

    splitcore_idf_default_config(&s_config);
    s_config.heartbeat_timeout_ms = CONFIG_MOTOR_HEARTBEAT_TIMEOUT_MS;
    s_config.policy = SPLITCORE_POLICY_LOG; /* restarts are ours: the region is re-initialised first */
    st = splitcore_idf_start(&s_config);
    if (st != SPLITCORE_OK) {
        ESP_LOGE(TAG, "core 1 did not start (%d); the dashboard shows its state", (int)st);
    }
    if (xTaskCreate(forward_task, "motor_fwd", 4096, NULL, 5, NULL) != pdPASS) {
        ESP_LOGE(TAG, "forwarding task not created");
    }
}
