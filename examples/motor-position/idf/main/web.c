/*
 * The dashboard server (esp_http_server): the page files embedded from
 * examples/motor-position/dashboard/ and the WebSocket on /ws. Messages to the pages are
 * queued to the server task with httpd_queue_work (the only task that touches its sockets)
 * and sent to every WebSocket client with httpd_ws_send_frame_async.
 */
#include "web.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdkconfig.h"
#include "esp_err.h"
#include "esp_http_server.h"
#include "esp_log.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"

#include "bridge.h"

static const char *TAG = "dashboard";

#define MAX_SOCKETS 7

/* ---- the page files (main/CMakeLists.txt EMBED_TXTFILES; each ends with an added NUL) --- */

extern const char index_html_start[] asm("_binary_index_html_start");
extern const char index_html_end[] asm("_binary_index_html_end");
extern const char style_css_start[] asm("_binary_style_css_start");
extern const char style_css_end[] asm("_binary_style_css_end");
extern const char app_mjs_start[] asm("_binary_app_mjs_start");
extern const char app_mjs_end[] asm("_binary_app_mjs_end");
extern const char decode_mjs_start[] asm("_binary_decode_mjs_start");
extern const char decode_mjs_end[] asm("_binary_decode_mjs_end");
extern const char plot_mjs_start[] asm("_binary_plot_mjs_start");
extern const char plot_mjs_end[] asm("_binary_plot_mjs_end");

typedef struct {
    const char *uri;
    const char *type;
    const char *start;
    const char *end;
} asset_t;

static const asset_t k_assets[] = {
    {"/", "text/html; charset=utf-8", index_html_start, index_html_end},
    {"/index.html", "text/html; charset=utf-8", index_html_start, index_html_end},
    {"/style.css", "text/css; charset=utf-8", style_css_start, style_css_end},
    {"/app.mjs", "text/javascript; charset=utf-8", app_mjs_start, app_mjs_end},
    {"/decode.mjs", "text/javascript; charset=utf-8", decode_mjs_start, decode_mjs_end},
    {"/plot.mjs", "text/javascript; charset=utf-8", plot_mjs_start, plot_mjs_end},
};

static esp_err_t asset_handler(httpd_req_t *req)
{
    const asset_t *a = (const asset_t *)req->user_ctx;
    httpd_resp_set_type(req, a->type);
    httpd_resp_set_hdr(req, "Cache-Control", "no-cache");
    /* EMBED_TXTFILES appends a NUL that is not part of the file. */
    return httpd_resp_send(req, a->start, (ssize_t)(a->end - a->start - 1));
}

/* ---- state --------------------------------------------------------------------------- */

static httpd_handle_t s_server;
static motor_web_command_fn s_on_command;
static atomic_uint s_in_flight;
static atomic_uint s_dropped;
static atomic_uint s_clients;
static SemaphoreHandle_t s_snapshot_lock;

typedef struct {
    size_t len;
    bool binary;
    uint8_t data[];
} message_t;

static message_t *s_snapshot[MOTOR_WEB_SNAPSHOT_COUNT];

static message_t *message_new(const uint8_t *data, size_t len, bool binary)
{
    message_t *m = malloc(sizeof(message_t) + len);
    if (m != NULL) {
        m->len = len;
        m->binary = binary;
        memcpy(m->data, data, len);
    }
    return m;
}

static esp_err_t send_to(int fd, const uint8_t *data, size_t len, bool binary)
{
    httpd_ws_frame_t frame = {
        .final = true,
        .type = binary ? HTTPD_WS_TYPE_BINARY : HTTPD_WS_TYPE_TEXT,
        .payload = (uint8_t *)data,
        .len = len,
    };
    return httpd_ws_send_frame_async(s_server, fd, &frame);
}

/* Runs on the server task. */
static void send_to_all(void *arg)
{
    message_t *m = (message_t *)arg;
    int fds[MAX_SOCKETS];
    size_t n = MAX_SOCKETS;
    unsigned clients = 0;
    if (httpd_get_client_list(s_server, &n, fds) == ESP_OK) {
        for (size_t i = 0; i < n; i++) {
            if (httpd_ws_get_fd_info(s_server, fds[i]) != HTTPD_WS_CLIENT_WEBSOCKET) {
                continue;
            }
            if (send_to(fds[i], m->data, m->len, m->binary) == ESP_OK) {
                clients++;
            } else {
                /* Gone, or slower than the send timeout: close it; the page reconnects. */
                httpd_sess_trigger_close(s_server, fds[i]);
            }
        }
    }
    atomic_store(&s_clients, clients);
    free(m);
    atomic_fetch_sub(&s_in_flight, 1);
}

void motor_web_broadcast(const uint8_t *data, size_t len, bool binary)
{
    if (s_server == NULL || data == NULL || len == 0) {
        return;
    }
    if (atomic_fetch_add(&s_in_flight, 1) >= CONFIG_MOTOR_WS_MAX_IN_FLIGHT) {
        atomic_fetch_sub(&s_in_flight, 1);
        atomic_fetch_add(&s_dropped, 1);
        return;
    }
    message_t *m = message_new(data, len, binary);
    if (m == NULL || httpd_queue_work(s_server, send_to_all, m) != ESP_OK) {
        free(m);
        atomic_fetch_sub(&s_in_flight, 1);
        atomic_fetch_add(&s_dropped, 1);
    }
}

void motor_web_set_snapshot(int slot, const uint8_t *data, size_t len, bool binary)
{
    if (slot < 0 || slot >= MOTOR_WEB_SNAPSHOT_COUNT || s_snapshot_lock == NULL || data == NULL) {
        return;
    }
    message_t *m = message_new(data, len, binary);
    if (m == NULL) {
        return;
    }
    xSemaphoreTake(s_snapshot_lock, portMAX_DELAY);
    message_t *old = s_snapshot[slot];
    s_snapshot[slot] = m;
    xSemaphoreGive(s_snapshot_lock);
    free(old);
}

uint32_t motor_web_dropped(void)
{
    return atomic_load(&s_dropped);
}

uint32_t motor_web_clients(void)
{
    return atomic_load(&s_clients);
}

/* ---- the WebSocket ----------------------------------------------------------------------- */

static void reply_text(httpd_req_t *req, const char *json)
{
    httpd_ws_frame_t frame = {
        .final = true,
        .type = HTTPD_WS_TYPE_TEXT,
        .payload = (uint8_t *)json,
        .len = strlen(json),
    };
    if (frame.len > 0) {
        httpd_ws_send_frame(req, &frame);
    }
}

/* A new page: hello, then the latest status, stats and crash report. */
static void greet(httpd_req_t *req)
{
    char hello[128];
    if (motor_json_hello(hello, sizeof hello, "esp-idf", MOTOR_TELEMETRY_HZ) > 0) {
        reply_text(req, hello);
    }
    int fd = httpd_req_to_sockfd(req);
    xSemaphoreTake(s_snapshot_lock, portMAX_DELAY);
    for (int i = 0; i < MOTOR_WEB_SNAPSHOT_COUNT; i++) {
        if (s_snapshot[i] != NULL) {
            send_to(fd, s_snapshot[i]->data, s_snapshot[i]->len, s_snapshot[i]->binary);
        }
    }
    xSemaphoreGive(s_snapshot_lock);
}

static esp_err_t ws_handler(httpd_req_t *req)
{
    if (req->method == HTTP_GET) {
        /* The handshake is done: a new page. */
        greet(req);
        return ESP_OK;
    }
    httpd_ws_frame_t frame = {0};
    esp_err_t err = httpd_ws_recv_frame(req, &frame, 0); /* length and type only */
    if (err != ESP_OK) {
        return err;
    }
    char reply[256];
    if (frame.type != HTTPD_WS_TYPE_TEXT || frame.len > MOTOR_MAX_COMMAND_LEN) {
        const char *code;
        char message[96];
        if (frame.type == HTTPD_WS_TYPE_BINARY) {
            code = "binary";
            snprintf(message, sizeof message, "binary message of %u bytes (commands are JSON text)",
                     (unsigned)frame.len);
        } else if (frame.type != HTTPD_WS_TYPE_TEXT) {
            code = "unsupported_frame";
            snprintf(message, sizeof message, "WebSocket frame type %d (fragmented messages are not taken)",
                     (int)frame.type);
        } else {
            code = "too_long";
            snprintf(message, sizeof message, "message of %u bytes (at most %u)", (unsigned)frame.len,
                     (unsigned)MOTOR_MAX_COMMAND_LEN);
        }
        ESP_LOGW(TAG, "rejected a message from socket %d: %s", httpd_req_to_sockfd(req), message);
        if (motor_json_error(reply, sizeof reply, code, message) > 0) {
            reply_text(req, reply);
        }
        /* The unread payload would desynchronise the stream: close this connection. */
        return ESP_FAIL;
    }
    char *text = malloc(frame.len + 1);
    if (text == NULL) {
        return ESP_ERR_NO_MEM;
    }
    frame.payload = (uint8_t *)text;
    err = httpd_ws_recv_frame(req, &frame, frame.len);
    if (err != ESP_OK) {
        free(text);
        return err;
    }
    text[frame.len] = '\0';
    char echo[192];
    if (s_on_command(text, frame.len, reply, sizeof reply, echo, sizeof echo)) {
        motor_web_broadcast((const uint8_t *)echo, strlen(echo), false);
    } else {
        ESP_LOGW(TAG, "rejected a message from socket %d: %s", httpd_req_to_sockfd(req), reply);
        reply_text(req, reply);
    }
    free(text);
    return ESP_OK;
}

esp_err_t motor_web_start(motor_web_command_fn on_command)
{
    if (on_command == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    s_on_command = on_command;
    s_snapshot_lock = xSemaphoreCreateMutex();
    if (s_snapshot_lock == NULL) {
        return ESP_ERR_NO_MEM;
    }
    httpd_config_t config = HTTPD_DEFAULT_CONFIG();
    config.server_port = CONFIG_MOTOR_HTTP_PORT;
    config.max_open_sockets = MAX_SOCKETS;
    config.max_uri_handlers = 10;
    config.lru_purge_enable = true;
    config.stack_size = 6144;
    config.send_wait_timeout = 2; /* seconds: a stalled page is closed after this */
    esp_err_t err = httpd_start(&s_server, &config);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "httpd_start: %s", esp_err_to_name(err));
        return err;
    }
    for (size_t i = 0; i < sizeof k_assets / sizeof k_assets[0]; i++) {
        const httpd_uri_t uri = {
            .uri = k_assets[i].uri,
            .method = HTTP_GET,
            .handler = asset_handler,
            .user_ctx = (void *)&k_assets[i],
        };
        err = httpd_register_uri_handler(s_server, &uri);
        if (err != ESP_OK) {
            return err;
        }
    }
    const httpd_uri_t ws = {
        .uri = "/ws",
        .method = HTTP_GET,
        .handler = ws_handler,
        .is_websocket = true,
    };
    return httpd_register_uri_handler(s_server, &ws);
}
