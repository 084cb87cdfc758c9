/* The dashboard server on core 0: the page files, and one WebSocket (/ws) per browser that
 * carries the same messages as the host server (examples/motor-position/dashboard/README.md). */
#ifndef MOTOR_WEB_H
#define MOTOR_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"

/* What the server asks of the app when a page sends a text message. Returns true if the
 * command was applied; otherwise `reply` (NUL-terminated JSON, at most `cap` bytes) is sent
 * back to that page. `echo` gets the JSON to send to every page when applied. */
typedef bool (*motor_web_command_fn)(const char *text, size_t len, char *reply, size_t cap, char *echo,
                                     size_t echo_cap);

/* Starts the HTTP server on CONFIG_MOTOR_HTTP_PORT. */
esp_err_t motor_web_start(motor_web_command_fn on_command);

/* Queues a message for every connected page (binary: a telemetry or stats message; text: a
 * JSON message). Copies `data`. Never blocks: when CONFIG_MOTOR_WS_MAX_IN_FLIGHT messages are
 * already waiting, the message is dropped and counted. */
void motor_web_broadcast(const uint8_t *data, size_t len, bool binary);

/* Remembers a message that pages connecting later get first (slot: MOTOR_WEB_SNAPSHOT_*). */
#define MOTOR_WEB_SNAPSHOT_STATUS 0
#define MOTOR_WEB_SNAPSHOT_STATS 1
#define MOTOR_WEB_SNAPSHOT_CRASH 2
#define MOTOR_WEB_SNAPSHOT_COUNT 3
void motor_web_set_snapshot(int slot, const uint8_t *data, size_t len, bool binary);

/* Messages dropped because too many were waiting. */
uint32_t motor_web_dropped(void);

/* WebSocket clients seen at the last broadcast. */
uint32_t motor_web_clients(void);

#endif /* MOTOR_WEB_H */
