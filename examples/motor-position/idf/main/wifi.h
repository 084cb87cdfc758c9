/* WiFi for the dashboard: station or soft-AP, chosen in Kconfig (MOTOR_WIFI_*). */
#ifndef MOTOR_WIFI_H
#define MOTOR_WIFI_H

#include "esp_err.h"

/* Starts WiFi (nvs, netif and the default event loop must be initialised). Returns at once;
 * the station connects (and reconnects) in the background and logs its IP address. */
esp_err_t motor_wifi_start(void);

#endif /* MOTOR_WIFI_H */
