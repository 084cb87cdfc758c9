/*
 * Core 0's side of the motor-position protocol and the dashboard wire format (bridge.h).
 * Portable C11: built by the IDF app and, on the host, by crates/motor-idf-test, which runs
 * it against the Rust side of every format it touches.
 */
#include "bridge.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "splitcore.h"

/* protocol.rs LAYOUT, channel by channel, in declaration order. */
static const SplitcoreChannelSpec k_specs[MOTOR_CHANNEL_COUNT] = {
    {.kind = SPLITCORE_KIND_MAILBOX, .elem_size = sizeof(motor_setpoint_t), .elem_align = 4, .capacity = 1},
    {.kind = SPLITCORE_KIND_FRAMES, .elem_size = 1, .elem_align = 4, .capacity = MOTOR_TELEMETRY_RING_BYTES},
    {.kind = SPLITCORE_KIND_MAILBOX, .elem_size = MOTOR_STATS_SIZE, .elem_align = 8, .capacity = 1},
    {.kind = SPLITCORE_KIND_EVENTS, .elem_size = 4, .elem_align = 4, .capacity = 1},
};

int32_t motor_region_size(uint32_t *size, uint32_t *align)
{
    return splitcore_layout_size(k_specs, MOTOR_CHANNEL_COUNT, size, align);
}

void motor_bridge_close(motor_bridge_t *b)
{
    if (b == NULL) {
        return;
    }
    splitcore_mailbox_close(&b->setpoint);
    splitcore_frames_close(&b->telemetry);
    splitcore_mailbox_close(&b->loop_stats);
    splitcore_events_close(&b->events);
}

int32_t motor_bridge_init(motor_bridge_t *b, void *mem, uint32_t len, uint32_t force)
{
    if (b == NULL || mem == NULL) {
        return SPLITCORE_STATUS_NULL_POINTER;
    }
    memset(b, 0, sizeof(*b));
    int32_t st = splitcore_region_init(&b->region, mem, len, k_specs, MOTOR_CHANNEL_COUNT, force);
    if (st != SPLITCORE_STATUS_OK) {
        return st;
    }
    st = splitcore_mailbox_open(&b->region, MOTOR_CH_SETPOINT, SPLITCORE_END_PRODUCER, sizeof(motor_setpoint_t),
                                &b->setpoint);
    if (st == SPLITCORE_STATUS_OK) {
        st = splitcore_frames_open(&b->region, MOTOR_CH_TELEMETRY, SPLITCORE_END_CONSUMER, &b->telemetry);
    }
    if (st == SPLITCORE_STATUS_OK) {
        st = splitcore_mailbox_open(&b->region, MOTOR_CH_LOOP_STATS, SPLITCORE_END_CONSUMER, MOTOR_STATS_SIZE,
                                    &b->loop_stats);
    }
    if (st == SPLITCORE_STATUS_OK) {
        st = splitcore_events_open(&b->region, MOTOR_CH_EVENTS, SPLITCORE_END_CONSUMER, &b->events);
    }
    if (st != SPLITCORE_STATUS_OK) {
        motor_bridge_close(b);
    }
    return st;
}

/* ---- binary messages ------------------------------------------------------------------- */

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v & 0xff);
    p[1] = (uint8_t)(v >> 8);
}

static void put_header(uint8_t *out, uint8_t kind, uint16_t count, uint16_t record_size)
{
    out[0] = kind;
    out[1] = MOTOR_WIRE_VERSION;
    put_u16(out + 2, count);
    put_u16(out + 4, record_size);
    put_u16(out + 6, 0);
}

int32_t motor_pack_telemetry(motor_bridge_t *b, uint8_t *out, size_t cap, uint32_t max_samples)
{
    if (b == NULL || out == NULL) {
        return SPLITCORE_STATUS_NULL_POINTER;
    }
    size_t room = cap < MOTOR_WIRE_HEADER_LEN ? 0 : (cap - MOTOR_WIRE_HEADER_LEN) / MOTOR_SAMPLE_SIZE;
    uint32_t limit = max_samples < MOTOR_WIRE_MAX_SAMPLES ? max_samples : MOTOR_WIRE_MAX_SAMPLES;
    if (room < limit) {
        limit = (uint32_t)room;
    }
    if (limit == 0) {
        return SPLITCORE_STATUS_INVALID_ARGUMENT;
    }
    uint32_t n = 0;
    while (n < limit) {
        const uint8_t *frame = NULL;
        uint32_t len = 0;
        int32_t st = splitcore_frame_read(&b->telemetry, &frame, &len);
        if (st == SPLITCORE_STATUS_EMPTY) {
            break;
        }
        if (st != SPLITCORE_STATUS_OK) {
            return st < 0 ? st : SPLITCORE_STATUS_PEER_CORRUPT;
        }
        if (len == MOTOR_SAMPLE_SIZE) {
            /* The frame's bytes unchanged: the page decodes them at protocol.rs's offsets. */
            memcpy(out + MOTOR_WIRE_HEADER_LEN + (size_t)n * MOTOR_SAMPLE_SIZE, frame, MOTOR_SAMPLE_SIZE);
            n++;
        } else {
            b->bad_frames++;
        }
        st = splitcore_frame_release(&b->telemetry);
        if (st != SPLITCORE_STATUS_OK) {
            return st < 0 ? st : SPLITCORE_STATUS_PEER_CORRUPT;
        }
    }
    if (n == 0) {
        return 0;
    }
    put_header(out, MOTOR_WIRE_KIND_TELEMETRY, (uint16_t)n, MOTOR_SAMPLE_SIZE);
    b->forwarded += n;
    return (int32_t)(MOTOR_WIRE_HEADER_LEN + (size_t)n * MOTOR_SAMPLE_SIZE);
}

int32_t motor_pack_stats(motor_bridge_t *b, uint8_t *out, size_t cap)
{
    if (b == NULL || out == NULL) {
        return SPLITCORE_STATUS_NULL_POINTER;
    }
    if (cap < MOTOR_WIRE_HEADER_LEN + MOTOR_STATS_SIZE) {
        return SPLITCORE_STATUS_INVALID_ARGUMENT;
    }
    int32_t st = splitcore_mailbox_read(&b->loop_stats, out + MOTOR_WIRE_HEADER_LEN);
    if (st == SPLITCORE_STATUS_EMPTY || st == SPLITCORE_STATUS_BUSY) {
        return 0;
    }
    if (st != SPLITCORE_STATUS_OK) {
        return st < 0 ? st : SPLITCORE_STATUS_PEER_CORRUPT;
    }
    put_header(out, MOTOR_WIRE_KIND_STATS, 1, MOTOR_STATS_SIZE);
    return (int32_t)(MOTOR_WIRE_HEADER_LEN + MOTOR_STATS_SIZE);
}

int32_t motor_apply_command(motor_bridge_t *b, const motor_command_t *cmd)
{
    if (b == NULL || cmd == NULL) {
        return SPLITCORE_STATUS_NULL_POINTER;
    }
    b->seq++;
    motor_setpoint_t sp = {
        .seq = b->seq,
        .mode = cmd->mode,
        .position_rad = cmd->mode == MOTOR_MODE_POSITION ? cmd->position_rad : 0.0f,
        .velocity_limit_rad_s = cmd->mode == MOTOR_MODE_POSITION ? cmd->velocity_limit_rad_s : 0.0f,
    };
    return splitcore_mailbox_write(&b->setpoint, &sp);
}

/* ---- page commands: a small JSON reader ------------------------------------------------ */

#define MAX_DEPTH 32
#define KEY_MAX 48

typedef struct {
    const char *p;
    const char *end;
} cursor_t;

enum { V_NONE, V_STRING, V_NUMBER, V_OTHER };

typedef struct {
    int type;
    double number;
    char string[KEY_MAX];
} field_t;

static void skip_ws(cursor_t *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) {
        c->p++;
    }
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* A string at c->p (after skip_ws); its first KEY_MAX-1 bytes (escapes decoded, non-ASCII
 * escapes as '?') go to buf if non-NULL. Returns false on a syntax error. */
static bool read_string(cursor_t *c, char *buf)
{
    size_t n = 0;
    if (c->p >= c->end || *c->p != '"') {
        return false;
    }
    c->p++;
    while (c->p < c->end) {
        unsigned char ch = (unsigned char)*c->p++;
        char out;
        if (ch == '"') {
            if (buf != NULL) {
                buf[n] = '\0';
            }
            return true;
        }
        if (ch < 0x20) {
            return false;
        }
        if (ch == '\\') {
            if (c->p >= c->end) {
                return false;
            }
            char e = *c->p++;
            switch (e) {
            case '"': out = '"'; break;
            case '\\': out = '\\'; break;
            case '/': out = '/'; break;
            case 'b': out = '\b'; break;
            case 'f': out = '\f'; break;
            case 'n': out = '\n'; break;
            case 'r': out = '\r'; break;
            case 't': out = '\t'; break;
            case 'u': {
                if (c->end - c->p < 4) {
                    return false;
                }
                int v = 0;
                for (int i = 0; i < 4; i++) {
                    int h = hexval(c->p[i]);
                    if (h < 0) {
                        return false;
                    }
                    v = v * 16 + h;
                }
                c->p += 4;
                if (v >= 0xdc00 && v <= 0xdfff) {
                    return false; /* lone trailing surrogate (serde_json rejects it too) */
                }
                if (v >= 0xd800 && v <= 0xdbff) {
                    /* A leading surrogate must be followed by \uDC00..\uDFFF. */
                    int lo = 0;
                    if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u') {
                        return false;
                    }
                    for (int i = 2; i < 6; i++) {
                        int h = hexval(c->p[i]);
                        if (h < 0) {
                            return false;
                        }
                        lo = lo * 16 + h;
                    }
                    if (lo < 0xdc00 || lo > 0xdfff) {
                        return false;
                    }
                    c->p += 6;
                }
                out = v < 0x80 ? (char)v : '?';
                break;
            }
            default:
                return false;
            }
        } else {
            out = (char)ch;
        }
        if (buf != NULL && n + 1 < KEY_MAX) {
            buf[n++] = out;
        }
    }
    return false;
}

/* JSON number grammar, then strtod. Overflow (e.g. 1e999) is a syntax error, as in serde_json. */
static bool read_number(cursor_t *c, double *value)
{
    const char *s = c->p;
    const char *p = s;
    if (p < c->end && *p == '-') p++;
    if (p >= c->end) return false;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < c->end && *p >= '0' && *p <= '9') p++;
    } else {
        return false;
    }
    if (p < c->end && *p == '.') {
        p++;
        if (p >= c->end || *p < '0' || *p > '9') return false;
        while (p < c->end && *p >= '0' && *p <= '9') p++;
    }
    if (p < c->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < c->end && (*p == '+' || *p == '-')) p++;
        if (p >= c->end || *p < '0' || *p > '9') return false;
        while (p < c->end && *p >= '0' && *p <= '9') p++;
    }
    char tmp[64];
    size_t n = (size_t)(p - s);
    if (n >= sizeof tmp) {
        return false;
    }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    errno = 0;
    double v = strtod(tmp, NULL);
    if (isinf(v) || isnan(v)) {
        return false;
    }
    *value = v;
    c->p = p;
    return true;
}

static bool literal(cursor_t *c, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) {
        return false;
    }
    c->p += n;
    return true;
}

/* Any JSON value; `f` (may be NULL) gets its type and, for strings and numbers, its value. */
static bool read_value(cursor_t *c, field_t *f, int depth)
{
    skip_ws(c);
    if (c->p >= c->end || depth > MAX_DEPTH) {
        return false;
    }
    char ch = *c->p;
    if (f != NULL) {
        f->type = V_OTHER;
    }
    if (ch == '"') {
        if (f != NULL) f->type = V_STRING;
        return read_string(c, f != NULL ? f->string : NULL);
    }
    if (ch == '-' || (ch >= '0' && ch <= '9')) {
        double v = 0.0;
        if (!read_number(c, &v)) return false;
        if (f != NULL) {
            f->type = V_NUMBER;
            f->number = v;
        }
        return true;
    }
    if (ch == 't') return literal(c, "true");
    if (ch == 'f') return literal(c, "false");
    if (ch == 'n') return literal(c, "null");
    if (ch == '[' || ch == '{') {
        char close = ch == '[' ? ']' : '}';
        c->p++;
        skip_ws(c);
        if (c->p < c->end && *c->p == close) {
            c->p++;
            return true;
        }
        for (;;) {
            if (close == '}') {
                skip_ws(c);
                if (!read_string(c, NULL)) return false;
                skip_ws(c);
                if (c->p >= c->end || *c->p != ':') return false;
                c->p++;
            }
            if (!read_value(c, NULL, depth + 1)) return false;
            skip_ws(c);
            if (c->p >= c->end) return false;
            if (*c->p == ',') {
                c->p++;
                continue;
            }
            if (*c->p == close) {
                c->p++;
                return true;
            }
            return false;
        }
    }
    return false;
}

static motor_cmd_result_t fail(motor_cmd_result_t r, char *err, size_t errlen, const char *fmt, const char *arg,
                               double value)
{
    if (err != NULL && errlen > 0) {
        snprintf(err, errlen, fmt, arg, value);
    }
    return r;
}

motor_cmd_result_t motor_parse_command(const char *text, size_t len, motor_command_t *out, char *err, size_t errlen)
{
    if (err != NULL && errlen > 0) {
        err[0] = '\0';
    }
    if (text == NULL || out == NULL) {
        return fail(MOTOR_CMD_ERR_JSON, err, errlen, "not JSON: no text%s", "", 0.0);
    }
    if (len > MOTOR_MAX_COMMAND_LEN) {
        char n[24];
        snprintf(n, sizeof n, "%u", (unsigned)len);
        return fail(MOTOR_CMD_ERR_TOO_LONG, err, errlen, "message of %s bytes (at most 1024)", n, 0.0);
    }
    cursor_t c = {.p = text, .end = text + len};
    field_t cmd = {.type = V_NONE}, pos = {.type = V_NONE}, vlim = {.type = V_NONE};
    char unknown[KEY_MAX] = "";
    skip_ws(&c);
    bool is_object = c.p < c.end && *c.p == '{';
    if (!is_object) {
        if (!read_value(&c, NULL, 0)) {
            return fail(MOTOR_CMD_ERR_JSON, err, errlen, "not JSON%s", "", 0.0);
        }
    } else {
        c.p++;
        skip_ws(&c);
        if (c.p < c.end && *c.p == '}') {
            c.p++;
        } else {
            for (;;) {
                char key[KEY_MAX];
                skip_ws(&c);
                if (!read_string(&c, key)) {
                    return fail(MOTOR_CMD_ERR_JSON, err, errlen, "not JSON: bad key%s", "", 0.0);
                }
                skip_ws(&c);
                if (c.p >= c.end || *c.p != ':') {
                    return fail(MOTOR_CMD_ERR_JSON, err, errlen, "not JSON: ':' expected%s", "", 0.0);
                }
                c.p++;
                field_t *slot = NULL;
                field_t other;
                if (strcmp(key, "cmd") == 0) slot = &cmd;
                else if (strcmp(key, "position_rad") == 0) slot = &pos;
                else if (strcmp(key, "velocity_limit_rad_s") == 0) slot = &vlim;
                else {
                    slot = &other;
                    if (unknown[0] == '\0' || strcmp(key, unknown) < 0) {
                        /* serde_json's map is sorted: report the first unknown key by name. */
                        strcpy(unknown, key);
                    }
                }
                if (!read_value(&c, slot, 1)) {
                    return fail(MOTOR_CMD_ERR_JSON, err, errlen, "not JSON: bad value%s", "", 0.0);
                }
                skip_ws(&c);
                if (c.p < c.end && *c.p == ',') {
                    c.p++;
                    continue;
                }
                if (c.p < c.end && *c.p == '}') {
                    c.p++;
                    break;
                }
                return fail(MOTOR_CMD_ERR_JSON, err, errlen, "not JSON: ',' or '}' expected%s", "", 0.0);
            }
        }
    }
    skip_ws(&c);
    if (c.p != c.end) {
        return fail(MOTOR_CMD_ERR_JSON, err, errlen, "not JSON: trailing characters%s", "", 0.0);
    }
    if (!is_object) {
        return fail(MOTOR_CMD_ERR_NOT_AN_OBJECT, err, errlen, "a command must be a JSON object%s", "", 0.0);
    }
    if (cmd.type == V_NONE) {
        return fail(MOTOR_CMD_ERR_MISSING_FIELD, err, errlen, "missing field `%s`", "cmd", 0.0);
    }
    if (cmd.type != V_STRING) {
        return fail(MOTOR_CMD_ERR_WRONG_TYPE, err, errlen, "field `%s` must be a string", "cmd", 0.0);
    }
    if (strcmp(cmd.string, "disable") == 0) {
        if (unknown[0] != '\0' || pos.type != V_NONE || vlim.type != V_NONE) {
            const char *name = unknown[0] != '\0' ? unknown : pos.type != V_NONE ? "position_rad" : "velocity_limit_rad_s";
            return fail(MOTOR_CMD_ERR_UNKNOWN_FIELD, err, errlen, "unknown field `%s`", name, 0.0);
        }
        *out = (motor_command_t){.mode = MOTOR_MODE_DISABLED};
        return MOTOR_CMD_OK;
    }
    if (strcmp(cmd.string, "position") != 0) {
        return fail(MOTOR_CMD_ERR_UNKNOWN_COMMAND, err, errlen,
                    "unknown command `%s` (expected `position` or `disable`)", cmd.string, 0.0);
    }
    if (unknown[0] != '\0') {
        return fail(MOTOR_CMD_ERR_UNKNOWN_FIELD, err, errlen, "unknown field `%s`", unknown, 0.0);
    }
    const struct {
        field_t *f;
        const char *name;
    } need[2] = {{&pos, "position_rad"}, {&vlim, "velocity_limit_rad_s"}};
    for (int i = 0; i < 2; i++) {
        if (need[i].f->type == V_NONE) {
            return fail(MOTOR_CMD_ERR_MISSING_FIELD, err, errlen, "missing field `%s`", need[i].name, 0.0);
        }
        if (need[i].f->type != V_NUMBER) {
            return fail(MOTOR_CMD_ERR_WRONG_TYPE, err, errlen, "field `%s` must be a number", need[i].name, 0.0);
        }
    }
    if (fabs(pos.number) > MOTOR_MAX_POSITION_RAD) {
        return fail(MOTOR_CMD_ERR_OUT_OF_RANGE, err, errlen, "%s %g outside ±1000", "position_rad", pos.number);
    }
    if (!(vlim.number > 0.0 && vlim.number <= MOTOR_MAX_VELOCITY_LIMIT_RAD_S)) {
        return fail(MOTOR_CMD_ERR_OUT_OF_RANGE, err, errlen, "%s %g outside (0, 1000]", "velocity_limit_rad_s",
                    vlim.number);
    }
    *out = (motor_command_t){
        .mode = MOTOR_MODE_POSITION,
        .position_rad = (float)pos.number,
        .velocity_limit_rad_s = (float)vlim.number,
    };
    return MOTOR_CMD_OK;
}

const char *motor_command_error_code(motor_cmd_result_t r)
{
    switch (r) {
    case MOTOR_CMD_OK: return "ok";
    case MOTOR_CMD_ERR_TOO_LONG: return "too_long";
    case MOTOR_CMD_ERR_JSON: return "json";
    case MOTOR_CMD_ERR_NOT_AN_OBJECT: return "not_an_object";
    case MOTOR_CMD_ERR_MISSING_FIELD: return "missing_field";
    case MOTOR_CMD_ERR_WRONG_TYPE: return "wrong_type";
    case MOTOR_CMD_ERR_UNKNOWN_COMMAND: return "unknown_command";
    case MOTOR_CMD_ERR_UNKNOWN_FIELD: return "unknown_field";
    case MOTOR_CMD_ERR_OUT_OF_RANGE: return "out_of_range";
    }
    return "unknown";
}

/* ---- JSON text messages ---------------------------------------------------------------- */

typedef struct {
    char *out;
    size_t cap;
    size_t len;
    bool full;
} writer_t;

/* Appends `s` (n bytes) if it fits with `reserve` bytes left over; all or nothing. */
static bool put(writer_t *w, const char *s, size_t n, size_t reserve)
{
    if (w->full || w->len + n + reserve >= w->cap) {
        w->full = true;
        return false;
    }
    memcpy(w->out + w->len, s, n);
    w->len += n;
    w->out[w->len] = '\0';
    return true;
}

static bool puts_(writer_t *w, const char *s, size_t reserve)
{
    return put(w, s, strlen(s), reserve);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t need;
    uint32_t cp;
    if (s[0] < 0x80) return 1;
    if ((s[0] & 0xe0) == 0xc0) { need = 2; cp = s[0] & 0x1f; }
    else if ((s[0] & 0xf0) == 0xe0) { need = 3; cp = s[0] & 0x0f; }
    else if ((s[0] & 0xf8) == 0xf0) { need = 4; cp = s[0] & 0x07; }
    else return 0;
    if (n < need) return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((need == 2 && cp < 0x80) || (need == 3 && cp < 0x800) || (need == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    return need;
}

/* A JSON string literal of `text` (n bytes): escapes, invalid UTF-8 as U+FFFD, cut (still a
 * valid literal) when it would leave fewer than `reserve` bytes. */
static void put_string(writer_t *w, const char *text, size_t n, size_t reserve)
{
    if (!put(w, "\"", 1, reserve + 1)) {
        return;
    }
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < n) {
        char esc[8];
        const char *chunk = esc;
        size_t len;
        unsigned char ch = s[i];
        size_t adv = 1;
        if (ch == '"' || ch == '\\') {
            esc[0] = '\\';
            esc[1] = (char)ch;
            len = 2;
        } else if (ch == '\n') {
            memcpy(esc, "\\n", 2);
            len = 2;
        } else if (ch < 0x20 || ch == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", ch);
            len = 6;
        } else if (ch < 0x80) {
            chunk = (const char *)s + i;
            len = 1;
        } else {
            adv = utf8_len(s + i, n - i);
            if (adv == 0) {
                memcpy(esc, "\xef\xbf\xbd", 3); /* U+FFFD */
                len = 3;
                adv = 1;
            } else {
                chunk = (const char *)s + i;
                len = adv;
            }
        }
        if (!put(w, chunk, len, reserve + 1)) {
            w->full = false; /* close the literal in the reserved room */
            break;
        }
        i += adv;
    }
    put(w, "\"", 1, reserve);
}

static size_t finish(writer_t *w)
{
    return w->full ? 0 : w->len;
}

size_t motor_json_text(char *out, size_t cap, const char *type, const char *field, const char *text, size_t len)
{
    if (out == NULL || cap == 0 || type == NULL || field == NULL || text == NULL) {
        return 0;
    }
    writer_t w = {.out = out, .cap = cap};
    out[0] = '\0';
    puts_(&w, "{\"type\":\"", 2);
    puts_(&w, type, 2);
    puts_(&w, "\",\"", 2);
    puts_(&w, field, 2);
    puts_(&w, "\":", 2);
    put_string(&w, text, len, 1);
    puts_(&w, "}", 0);
    return finish(&w);
}

size_t motor_json_error(char *out, size_t cap, const char *code, const char *message)
{
    if (out == NULL || cap == 0 || code == NULL || message == NULL) {
        return 0;
    }
    writer_t w = {.out = out, .cap = cap};
    out[0] = '\0';
    puts_(&w, "{\"type\":\"error\",\"code\":", 2);
    put_string(&w, code, strlen(code), 2);
    puts_(&w, ",\"message\":", 2);
    put_string(&w, message, strlen(message), 1);
    puts_(&w, "}", 0);
    return finish(&w);
}

size_t motor_json_hello(char *out, size_t cap, const char *source, uint32_t telemetry_hz)
{
    if (out == NULL || cap == 0 || source == NULL) {
        return 0;
    }
    writer_t w = {.out = out, .cap = cap};
    char tail[64];
    out[0] = '\0';
    puts_(&w, "{\"type\":\"hello\",\"protocol\":1,\"source\":", 2);
    put_string(&w, source, strlen(source), 40);
    snprintf(tail, sizeof tail, ",\"telemetry_hz\":%lu}", (unsigned long)telemetry_hz);
    puts_(&w, tail, 0);
    return finish(&w);
}

/* Decimal digits of `v` into buf (>= 21 bytes); no printf("%llu"): newlib-nano lacks it. */
static const char *u64_dec(char *buf, uint64_t v)
{
    char *p = buf + 20;
    *p = '\0';
    do {
        *--p = (char)('0' + (v % 10));
        v /= 10;
    } while (v != 0);
    return p;
}

size_t motor_json_status(char *out, size_t cap, const char *core1, uint32_t heartbeat, uint32_t stack_high_water,
                         uint32_t restarts, uint64_t uptime_ms, const char *detail)
{
    if (out == NULL || cap == 0 || core1 == NULL || detail == NULL) {
        return 0;
    }
    writer_t w = {.out = out, .cap = cap};
    char nums[160];
    char uptime[21];
    out[0] = '\0';
    puts_(&w, "{\"type\":\"status\",\"core1\":", 2);
    put_string(&w, core1, strlen(core1), 2);
    snprintf(nums, sizeof nums,
             ",\"heartbeat\":%lu,\"stack_high_water_bytes\":%lu,\"restarts\":%lu,\"uptime_ms\":%s,\"detail\":",
             (unsigned long)heartbeat, (unsigned long)stack_high_water, (unsigned long)restarts,
             u64_dec(uptime, uptime_ms));
    puts_(&w, nums, 2);
    put_string(&w, detail, strlen(detail), 1);
    puts_(&w, "}", 0);
    return finish(&w);
}

size_t motor_json_command(char *out, size_t cap, const motor_command_t *cmd)
{
    if (out == NULL || cap == 0 || cmd == NULL) {
        return 0;
    }
    int n;
    if (cmd->mode == MOTOR_MODE_POSITION) {
        /* %.9g round-trips an f32. */
        n = snprintf(out, cap,
                     "{\"type\":\"command\",\"command\":{\"cmd\":\"position\",\"position_rad\":%.9g,"
                     "\"velocity_limit_rad_s\":%.9g}}",
                     (double)cmd->position_rad, (double)cmd->velocity_limit_rad_s);
    } else {
        n = snprintf(out, cap, "{\"type\":\"command\",\"command\":{\"cmd\":\"disable\"}}");
    }
    if (n < 0 || (size_t)n >= cap) {
        out[0] = '\0';
        return 0;
    }
    return (size_t)n;
}

const char *motor_core1_state_name(int32_t status)
{
    switch (status) {
    case SPLITCORE_CORE1_OFF: return "off";
    case SPLITCORE_CORE1_BOOTING: return "booting";
    case SPLITCORE_CORE1_RUNNING: return "running";
    case SPLITCORE_CORE1_STOPPING: return "stopping";
    case SPLITCORE_CORE1_STOPPED: return "stopped";
    case SPLITCORE_CORE1_CRASHED: return "crashed";
    case SPLITCORE_CORE1_INCOMPATIBLE: return "incompatible";
    default: return "off";
    }
}
