/*
 * Core 0's side of the motor-position protocol (examples/motor-position/control/src/protocol.rs)
 * and the dashboard's wire format (examples/motor-position/dashboard/README.md), in portable C:
 * no ESP-IDF calls here, so the host tests (crates/motor-idf-test) build and run this file
 * against the real splitcore-ipc C ABI.
 */
#ifndef MOTOR_BRIDGE_H
#define MOTOR_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

#include "splitcore_ipc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Channel indices of protocol.rs's LAYOUT (declaration order). */
#define MOTOR_CH_SETPOINT 0u
#define MOTOR_CH_TELEMETRY 1u
#define MOTOR_CH_LOOP_STATS 2u
#define MOTOR_CH_EVENTS 3u
#define MOTOR_CHANNEL_COUNT 4u
#define MOTOR_TELEMETRY_RING_BYTES 4096u
#define MOTOR_EVENT_TELEMETRY (1u << 0)
#define MOTOR_TELEMETRY_HZ 1000u /* protocol.rs TELEMETRY_HZ */

#define MOTOR_MODE_DISABLED 0u
#define MOTOR_MODE_POSITION 1u

/* protocol.rs `Setpoint` (16 bytes). */
typedef struct {
    uint32_t seq;
    uint32_t mode;
    float position_rad;
    float velocity_limit_rad_s;
} motor_setpoint_t;

/* protocol.rs `TelemetrySample` (40 bytes); forwarded as raw bytes, declared for the checks. */
typedef struct {
    uint32_t seq;
    uint32_t time_us;
    float setpoint_rad;
    float position_rad;
    float velocity_rad_s;
    float velocity_ref_rad_s;
    float current_a;
    float current_ref_a;
    float duty;
    uint32_t flags;
} motor_telemetry_sample_t;

#define MOTOR_SAMPLE_SIZE 40u
#define MOTOR_STATS_SIZE 120u /* splitcore_exec::TaskStats */

_Static_assert(sizeof(motor_setpoint_t) == 16, "Setpoint is 16 bytes");
_Static_assert(sizeof(motor_telemetry_sample_t) == MOTOR_SAMPLE_SIZE, "TelemetrySample is 40 bytes");

/* Dashboard binary messages: 8-byte header + records. */
#define MOTOR_WIRE_HEADER_LEN 8u
#define MOTOR_WIRE_VERSION 1u
#define MOTOR_WIRE_KIND_TELEMETRY 1u
#define MOTOR_WIRE_KIND_STATS 2u
#define MOTOR_WIRE_MAX_SAMPLES 256u

/* Page commands: limits as in crates/dashboard/src/wire.rs. */
#define MOTOR_MAX_COMMAND_LEN 1024u
#define MOTOR_MAX_POSITION_RAD 1000.0
#define MOTOR_MAX_VELOCITY_LIMIT_RAD_S 1000.0

/* motor_parse_command() results; the names (motor_command_error_code) match the Rust
 * CommandError::code() values. */
typedef enum {
    MOTOR_CMD_OK = 0,
    MOTOR_CMD_ERR_TOO_LONG = -1,
    MOTOR_CMD_ERR_JSON = -2,
    MOTOR_CMD_ERR_NOT_AN_OBJECT = -3,
    MOTOR_CMD_ERR_MISSING_FIELD = -4,
    MOTOR_CMD_ERR_WRONG_TYPE = -5,
    MOTOR_CMD_ERR_UNKNOWN_COMMAND = -6,
    MOTOR_CMD_ERR_UNKNOWN_FIELD = -7,
    MOTOR_CMD_ERR_OUT_OF_RANGE = -8,
} motor_cmd_result_t;

typedef struct {
    uint32_t mode; /* MOTOR_MODE_* */
    float position_rad;
    float velocity_limit_rad_s;
} motor_command_t;

/* Core 0's open ends of the region. */
typedef struct {
    SplitcoreRegion region;
    SplitcoreMailbox setpoint;  /* writer */
    SplitcoreFrames telemetry;  /* consumer */
    SplitcoreMailbox loop_stats; /* reader */
    SplitcoreEvents events;     /* receiver */
    uint32_t seq;               /* Setpoint::seq of the last command */
    uint32_t bad_frames;        /* telemetry frames that were not 40 bytes (skipped) */
    uint32_t forwarded;         /* samples packed into messages */
} motor_bridge_t;

/* Size and alignment of the region LAYOUT needs on this target. */
int32_t motor_region_size(uint32_t *size, uint32_t *align);

/* Initialises the region in `mem` (force: re-initialise whatever it holds; core 1 must not be
 * running) and opens core 0's ends. Returns SPLITCORE_STATUS_OK or a negative status. */
int32_t motor_bridge_init(motor_bridge_t *b, void *mem, uint32_t len, uint32_t force);

/* Closes core 0's ends (before a re-initialisation). */
void motor_bridge_close(motor_bridge_t *b);

/* Drains up to `max_samples` frames (at most MOTOR_WIRE_MAX_SAMPLES) from the telemetry ring
 * into one telemetry message in `out` (`cap` bytes). Returns the message length, 0 when no
 * sample was waiting, or a negative SPLITCORE_STATUS_* (the ring is corrupt). */
int32_t motor_pack_telemetry(motor_bridge_t *b, uint8_t *out, size_t cap, uint32_t max_samples);

/* Reads the loop_stats mailbox into one stats message (`cap` >= 128). Returns the length,
 * 0 when core 1 has published nothing yet (or the writer was busy), or a negative status. */
int32_t motor_pack_stats(motor_bridge_t *b, uint8_t *out, size_t cap);

/* Parses a page command (JSON text, `len` bytes, not NUL-terminated). On failure writes a
 * message into `err` (`errlen` bytes, NUL-terminated). */
motor_cmd_result_t motor_parse_command(const char *text, size_t len, motor_command_t *out, char *err,
                                       size_t errlen);

/* The stable name of a result ("json", "out_of_range", ...; "ok"). */
const char *motor_command_error_code(motor_cmd_result_t r);

/* Writes the command into the setpoint mailbox with the next sequence number; returns the
 * SPLITCORE_STATUS_* of the write. */
int32_t motor_apply_command(motor_bridge_t *b, const motor_command_t *cmd);

/* JSON text messages for the page. Each returns the length written (NUL-terminated, cut
 * to fit `cap` with a valid JSON object) or 0 if `cap` is too small for any. */
size_t motor_json_hello(char *out, size_t cap, const char *source, uint32_t telemetry_hz);
size_t motor_json_status(char *out, size_t cap, const char *core1, uint32_t heartbeat, uint32_t stack_high_water,
                         uint32_t restarts, uint64_t uptime_ms, const char *detail);
/* {"type":"<type>","<field>":"<escaped text>"}: type "log" field "line", "crash" "report",
 * "error" is built by motor_json_error. */
size_t motor_json_text(char *out, size_t cap, const char *type, const char *field, const char *text, size_t len);
size_t motor_json_error(char *out, size_t cap, const char *code, const char *message);
size_t motor_json_command(char *out, size_t cap, const motor_command_t *cmd);

/* The page's name for a splitcore_status() value. */
const char *motor_core1_state_name(int32_t status);

#ifdef __cplusplus
}
#endif

#endif /* MOTOR_BRIDGE_H */
