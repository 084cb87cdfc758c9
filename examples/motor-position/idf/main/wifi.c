/* WiFi station or soft-AP for the dashboard (Kconfig MOTOR_WIFI_STATION / MOTOR_WIFI_SOFTAP). */
#include "wifi.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "sdkconfig.h"
#include "esp_event.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "esp_wifi.h"

static const char *TAG = "wifi";

/* Copies a Kconfig string into a fixed WiFi field; false if it does not fit. */
static bool copy_field(uint8_t *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) {
        return false;
    }
    memcpy(dst, src, n + 1);
    return true;
}

static wifi_auth_mode_t auth_mode(void)
{
    return strlen(CONFIG_MOTOR_WIFI_PASSWORD) == 0 ? WIFI_AUTH_OPEN : WIFI_AUTH_WPA2_PSK;
}

/* WPA2 takes 8..63 characters; an empty password makes an open network. */
static esp_err_t check_password(void)
{
    size_t n = strlen(CONFIG_MOTOR_WIFI_PASSWORD);
    if (n == 0 || (n >= 8 && n <= 63)) {
        return ESP_OK;
    }
    ESP_LOGE(TAG, "MOTOR_WIFI_PASSWORD must be empty or 8..63 characters");
    return ESP_ERR_INVALID_ARG;
}

/* Both modes: the driver with default settings, its events routed to `handler`. */
static esp_err_t init_driver(esp_event_handler_t handler)
{
    wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
    esp_err_t err = esp_wifi_init(&init);
    if (err == ESP_OK) {
        err = esp_event_handler_instance_register(WIFI_EVENT, ESP_EVENT_ANY_ID, handler, NULL, NULL);
    }
    return err;
}

/* The Kconfig SSID and password into a station or soft-AP configuration's fields. */
static esp_err_t copy_credentials(uint8_t *ssid, size_t ssid_cap, uint8_t *password, size_t password_cap)
{
    if (!copy_field(ssid, ssid_cap, CONFIG_MOTOR_WIFI_SSID) ||
        !copy_field(password, password_cap, CONFIG_MOTOR_WIFI_PASSWORD)) {
        ESP_LOGE(TAG, "SSID longer than 31 or password longer than 63 characters");
        return ESP_ERR_INVALID_ARG;
    }
    return ESP_OK;
}

static esp_err_t configure_and_start(wifi_mode_t mode, wifi_interface_t interface, wifi_config_t *config)
{
    esp_err_t err = esp_wifi_set_mode(mode);
    if (err == ESP_OK) {
        err = esp_wifi_set_config(interface, config);
    }
    if (err == ESP_OK) {
        err = esp_wifi_start();
    }
    return err;
}

#if CONFIG_MOTOR_WIFI_STATION
static int s_retries;

static void on_event(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)arg;
    if (base == WIFI_EVENT && id == WIFI_EVENT_STA_START) {
        esp_wifi_connect();
    } else if (base == WIFI_EVENT && id == WIFI_EVENT_STA_DISCONNECTED) {
        if (CONFIG_MOTOR_WIFI_STA_MAX_RETRIES == 0 || s_retries < CONFIG_MOTOR_WIFI_STA_MAX_RETRIES) {
            s_retries++;
            ESP_LOGW(TAG, "disconnected from \"%s\", retrying (%d)", CONFIG_MOTOR_WIFI_SSID, s_retries);
            esp_wifi_connect();
        } else {
            ESP_LOGE(TAG, "could not join \"%s\" after %d attempts; check the SSID and password in menuconfig",
                     CONFIG_MOTOR_WIFI_SSID, s_retries);
        }
    } else if (base == IP_EVENT && id == IP_EVENT_STA_GOT_IP) {
        const ip_event_got_ip_t *got = (const ip_event_got_ip_t *)data;
        s_retries = 0;
        ESP_LOGI(TAG, "dashboard: http://" IPSTR ":%d/", IP2STR(&got->ip_info.ip), CONFIG_MOTOR_HTTP_PORT);
    }
}

esp_err_t motor_wifi_start(void)
{
    esp_err_t err = check_password();
    if (err != ESP_OK) {
        return err;
    }
    esp_netif_create_default_wifi_sta();
    err = init_driver(on_event);
    if (err == ESP_OK) {
        err = esp_event_handler_instance_register(IP_EVENT, IP_EVENT_STA_GOT_IP, on_event, NULL, NULL);
    }
    wifi_config_t config = {0};
    if (err == ESP_OK) {
        err = copy_credentials(config.sta.ssid, sizeof config.sta.ssid, config.sta.password,
                               sizeof config.sta.password);
    }
    if (err != ESP_OK) {
        return err;
    }
    config.sta.threshold.authmode = auth_mode();
    config.sta.pmf_cfg.capable = true;
    err = configure_and_start(WIFI_MODE_STA, WIFI_IF_STA, &config);
    if (err == ESP_OK) {
        ESP_LOGI(TAG, "joining \"%s\"", CONFIG_MOTOR_WIFI_SSID);
    }
    return err;
}

#else /* CONFIG_MOTOR_WIFI_SOFTAP */

static void on_event(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)arg;
    (void)data;
    if (base == WIFI_EVENT && id == WIFI_EVENT_AP_STACONNECTED) {
        ESP_LOGI(TAG, "a station joined \"%s\"", CONFIG_MOTOR_WIFI_SSID);
    } else if (base == WIFI_EVENT && id == WIFI_EVENT_AP_STADISCONNECTED) {
        ESP_LOGI(TAG, "a station left \"%s\"", CONFIG_MOTOR_WIFI_SSID);
    }
}

esp_err_t motor_wifi_start(void)
{
    esp_err_t err = check_password();
    if (err != ESP_OK) {
        return err;
    }
    esp_netif_create_default_wifi_ap();
    err = init_driver(on_event);
    wifi_config_t config = {0};
    if (err == ESP_OK) {
        err = copy_credentials(config.ap.ssid, sizeof config.ap.ssid, config.ap.password, sizeof config.ap.password);
    }
    if (err != ESP_OK) {
        return err;
    }
    config.ap.ssid_len = (uint8_t)strlen(CONFIG_MOTOR_WIFI_SSID);
    config.ap.channel = CONFIG_MOTOR_WIFI_AP_CHANNEL;
    config.ap.max_connection = CONFIG_MOTOR_WIFI_AP_MAX_CLIENTS;
    config.ap.authmode = auth_mode();
    err = configure_and_start(WIFI_MODE_AP, WIFI_IF_AP, &config);
    if (err == ESP_OK) {
        /* The default soft-AP netif serves DHCP on 192.168.4.0/24 with itself at .1. */
        ESP_LOGI(TAG, "soft-AP \"%s\" up; dashboard: http://192.168.4.1:%d/", CONFIG_MOTOR_WIFI_SSID,
                 CONFIG_MOTOR_HTTP_PORT);
    }
    return err;
}
#endif
