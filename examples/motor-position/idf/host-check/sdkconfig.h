/* Host syntax check only (crates/motor-idf-test/tests/app_compiles.rs): the defaults of
 * main/Kconfig.projbuild and sdkconfig.defaults. An IDF build generates the real sdkconfig.h.
 * -DMOTOR_HOST_CHECK_STATION checks the WiFi-station variant instead of the soft-AP one. */
#pragma once
#define CONFIG_IDF_TARGET_ESP32S3 1
#define CONFIG_FREERTOS_UNICORE 1
#define CONFIG_HTTPD_WS_SUPPORT 1
#define CONFIG_SPLITCORE_STACK_SIZE 16384
#define CONFIG_SPLITCORE_HANDSHAKE_TIMEOUT_MS 100
#define CONFIG_SPLITCORE_STOP_TIMEOUT_MS 100
#ifdef MOTOR_HOST_CHECK_STATION
#define CONFIG_MOTOR_WIFI_STATION 1
#define CONFIG_MOTOR_WIFI_STA_MAX_RETRIES 10
#else
#define CONFIG_MOTOR_WIFI_SOFTAP 1
#define CONFIG_MOTOR_WIFI_AP_CHANNEL 6
#define CONFIG_MOTOR_WIFI_AP_MAX_CLIENTS 4
#endif
#define CONFIG_MOTOR_WIFI_SSID "splitcore-motor"
#define CONFIG_MOTOR_WIFI_PASSWORD "splitcore"
#define CONFIG_MOTOR_HTTP_PORT 80
#define CONFIG_MOTOR_WS_MAX_IN_FLIGHT 8
#define CONFIG_MOTOR_FORWARD_PERIOD_MS 20
#define CONFIG_MOTOR_HEARTBEAT_TIMEOUT_MS 500
#define CONFIG_MOTOR_MAX_RESTARTS 3
#define CONFIG_MOTOR_RESTART_BACKOFF_MS 200
