/* components/esp_netif/include/esp_netif.h, esp_netif_types.h, esp_netif_ip_addr.h: network
 * interface start-up and the IP_EVENT_STA_GOT_IP event data. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "esp_err.h"
#include "esp_event.h"
typedef struct esp_netif_obj esp_netif_t;
typedef struct {
    uint32_t addr;
} esp_ip4_addr_t;
typedef struct {
    esp_ip4_addr_t ip;
    esp_ip4_addr_t netmask;
    esp_ip4_addr_t gw;
} esp_netif_ip_info_t;
typedef struct {
    esp_netif_t *esp_netif;
    esp_netif_ip_info_t ip_info;
    bool ip_changed;
} ip_event_got_ip_t;
typedef enum {
    IP_EVENT_STA_GOT_IP,
    IP_EVENT_STA_LOST_IP,
    IP_EVENT_AP_STAIPASSIGNED,
} ip_event_t;
ESP_EVENT_DECLARE_BASE(IP_EVENT);
#define esp_ip4_addr_get_byte(ipaddr, idx) (((const uint8_t *)(&(ipaddr)->addr))[idx])
#define esp_ip4_addr1_16(ipaddr) ((uint16_t)esp_ip4_addr_get_byte(ipaddr, 0))
#define esp_ip4_addr2_16(ipaddr) ((uint16_t)esp_ip4_addr_get_byte(ipaddr, 1))
#define esp_ip4_addr3_16(ipaddr) ((uint16_t)esp_ip4_addr_get_byte(ipaddr, 2))
#define esp_ip4_addr4_16(ipaddr) ((uint16_t)esp_ip4_addr_get_byte(ipaddr, 3))
#define IPSTR "%d.%d.%d.%d"
#define IP2STR(ipaddr) esp_ip4_addr1_16(ipaddr), esp_ip4_addr2_16(ipaddr), esp_ip4_addr3_16(ipaddr), esp_ip4_addr4_16(ipaddr)
esp_err_t esp_netif_init(void);
