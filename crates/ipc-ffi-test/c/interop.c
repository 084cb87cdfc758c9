/* C side of the cross-language tests (see ../src/lib.rs for the Rust mirror of every
 * definition here). Built by ../build.rs with gcc -std=c11 -Wall -Wextra -Werror -O2
 * -pthread against the committed header, whose _Static_asserts are compiled with it.
 *
 * Every exported function attaches to the region itself through the C ABI
 * (splitcore_region_attach) and reports through a CResult: status 0 and line 0 on
 * success, otherwise the failing status (or -1000 for a data mismatch) and the source
 * line of the failed check, with a message on stderr. */

#define _POSIX_C_SOURCE 200809L

#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "splitcore_ipc.h"

/* The test layout, in channel order. Must match `LAYOUT` in ../src/lib.rs. */
enum {
    CH_C2R = 0,     /* frames, 65536 bytes: C producer -> Rust consumer */
    CH_R2C = 1,     /* frames, 65536 bytes: Rust producer -> C consumer */
    CH_SAMPLES = 2, /* ring of Sample, 1024 */
    CH_MAILBOX = 3, /* mailbox of uint32_t[4] */
    CH_EVENTS = 4,  /* events */
    CH_SMALL = 5,   /* frames, 64 bytes (max frame 28) */
    CH_TINY = 6,    /* ring of uint32_t, 4 */
    CH_COUNT = 7,
};

static const SplitcoreChannelSpec SPECS[CH_COUNT] = {
    {SPLITCORE_KIND_FRAMES, 1, 4, 65536},
    {SPLITCORE_KIND_FRAMES, 1, 4, 65536},
    {SPLITCORE_KIND_RING, 24, 8, 1024},
    {SPLITCORE_KIND_MAILBOX, 16, 4, 1},
    {SPLITCORE_KIND_EVENTS, 4, 4, 1},
    {SPLITCORE_KIND_FRAMES, 1, 4, 64},
    {SPLITCORE_KIND_RING, 4, 4, 4},
};

#define MAX_FRAME 200u
#define MISMATCH (-1000)

/* Result of every exported test function; `CResult` in ../src/lib.rs. */
typedef struct CResult {
    int32_t status;
    int32_t line;
    uint64_t done;
    uint64_t checksum;
} CResult;

/* The typed-ring element; `Sample` in ../src/lib.rs. */
typedef struct Sample {
    uint64_t seq;
    uint32_t value;
    uint16_t tag;
    uint8_t flags;
    uint8_t reserved;
    uint32_t check;
    uint32_t check_inv;
} Sample;
_Static_assert(sizeof(Sample) == 24, "Sample size");
_Static_assert(_Alignof(Sample) == 8, "Sample alignment");

/* ---- the message pattern, shared with Rust ---- */

static uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static uint32_t fnv1a(uint32_t h, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x01000193u;
    }
    return h;
}
#define FNV_OFFSET 0x811c9dc5u

static uint32_t frame_len(uint64_t seed, uint64_t seq) {
    return 1u + (uint32_t)(splitmix64(seed ^ (seq * 0xD1B54A32D192ED03ull)) % MAX_FRAME);
}

static void put_le(uint8_t *p, uint64_t v, int n) {
    for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Pseudo-random bytes; frames of 16 bytes or more start with seq (u64), len (u32) and the
 * FNV-1a hash of the bytes after the first 16 (u32), all little-endian. */
static void fill_frame(uint64_t seed, uint64_t seq, uint8_t *buf, uint32_t len) {
    uint64_t base = splitmix64(seed + seq);
    for (uint32_t i = 0; i < len; i += 8) {
        uint64_t w = splitmix64(base + i);
        uint32_t n = len - i < 8 ? len - i : 8;
        put_le(buf + i, w, (int)n);
    }
    if (len >= 16) {
        put_le(buf, seq, 8);
        put_le(buf + 8, len, 4);
        put_le(buf + 12, fnv1a(FNV_OFFSET, buf + 16, len - 16), 4);
    }
}

/* Per-frame digest for the run checksums: FNV-1a of the first 16 bytes at most (which hold
 * the hash of the rest). */
static uint32_t frame_digest(const uint8_t *p, uint32_t n) {
    return fnv1a(FNV_OFFSET, p, n < 16 ? n : 16);
}

static Sample make_sample(uint64_t seed, uint64_t seq) {
    Sample s;
    memset(&s, 0, sizeof s);
    s.seq = seq;
    s.value = (uint32_t)splitmix64(seed ^ seq);
    s.tag = (uint16_t)(seq * 7u);
    s.flags = (uint8_t)(seq >> 3);
    s.reserved = 0xA5;
    s.check = fnv1a(FNV_OFFSET, (const uint8_t *)&s, 16);
    s.check_inv = ~s.check;
    return s;
}

/* ---- reporting ---- */

#define FAIL(st, ...)                                                          \
    do {                                                                       \
        res->status = (st);                                                    \
        res->line = __LINE__;                                                  \
        fprintf(stderr, "interop.c:%d: ", __LINE__);                           \
        fprintf(stderr, __VA_ARGS__);                                          \
        fputc('\n', stderr);                                                   \
        goto out;                                                              \
    } while (0)

/* `call` must return `want`. */
#define EXPECT(call, want)                                                     \
    do {                                                                       \
        int32_t got_ = (call);                                                 \
        if (got_ != (want))                                                    \
            FAIL(got_ == 0 ? MISMATCH : got_, "%s: got %d (%s), want %d (%s)", #call, \
                 got_, splitcore_status_str(got_), (int)(want),                \
                 splitcore_status_str(want));                                  \
    } while (0)

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) FAIL(MISMATCH, __VA_ARGS__);                              \
    } while (0)

static void reset(CResult *res) {
    res->status = 0;
    res->line = 0;
    res->done = 0;
    res->checksum = 0;
}

/* ---- exported to Rust ---- */

int32_t c_layout_size(uint32_t *size, uint32_t *align) {
    return splitcore_layout_size(SPECS, CH_COUNT, size, align);
}

int32_t c_region_init(void *mem, uint32_t len) {
    SplitcoreRegion r;
    return splitcore_region_init(&r, mem, len, SPECS, CH_COUNT, 0);
}

void c_frame_producer(void *mem, uint32_t len, uint32_t channel, uint64_t count, uint64_t seed,
                      CResult *res) {
    SplitcoreRegion r;
    SplitcoreFrames f;
    memset(&f, 0, sizeof f);
    reset(res);
    EXPECT(splitcore_region_attach(&r, mem, len), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_frames_open(&r, channel, SPLITCORE_END_PRODUCER, &f), SPLITCORE_STATUS_OK);
    for (uint64_t seq = 0; seq < count; seq++) {
        uint32_t n = frame_len(seed, seq);
        uint8_t *buf = NULL;
        int32_t s;
        while ((s = splitcore_frame_grant(&f, n, &buf)) == SPLITCORE_STATUS_FULL) sched_yield();
        EXPECT(s, SPLITCORE_STATUS_OK);
        CHECK(buf != NULL, "grant gave NULL");
        fill_frame(seed, seq, buf, n);
        res->checksum += frame_digest(buf, n);
        EXPECT(splitcore_frame_commit(&f, n), SPLITCORE_STATUS_OK);
        res->done = seq + 1;
    }
out:
    splitcore_frames_close(&f);
}

void c_frame_consumer(void *mem, uint32_t len, uint32_t channel, uint64_t count, uint64_t seed,
                      CResult *res) {
    SplitcoreRegion r;
    SplitcoreFrames f;
    uint8_t expect[MAX_FRAME];
    memset(&f, 0, sizeof f);
    reset(res);
    EXPECT(splitcore_region_attach(&r, mem, len), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_frames_open(&r, channel, SPLITCORE_END_CONSUMER, &f), SPLITCORE_STATUS_OK);
    for (uint64_t seq = 0; seq < count; seq++) {
        const uint8_t *p = NULL;
        uint32_t n = 0;
        int32_t s;
        while ((s = splitcore_frame_read(&f, &p, &n)) == SPLITCORE_STATUS_EMPTY) sched_yield();
        EXPECT(s, SPLITCORE_STATUS_OK);
        uint32_t want = frame_len(seed, seq);
        CHECK(n == want, "frame %llu: length %u, want %u", (unsigned long long)seq, n, want);
        if (n >= 16) {
            CHECK(get_le(p, 8) == seq, "frame %llu: embedded seq %llu", (unsigned long long)seq,
                  (unsigned long long)get_le(p, 8));
            CHECK(get_le(p + 8, 4) == n, "frame %llu: embedded len", (unsigned long long)seq);
            CHECK(get_le(p + 12, 4) == fnv1a(FNV_OFFSET, p + 16, n - 16),
                  "frame %llu: embedded hash", (unsigned long long)seq);
        }
        fill_frame(seed, seq, expect, n);
        CHECK(memcmp(p, expect, n) == 0, "frame %llu: payload differs", (unsigned long long)seq);
        res->checksum += frame_digest(p, n);
        EXPECT(splitcore_frame_release(&f), SPLITCORE_STATUS_OK);
        res->done = seq + 1;
    }
out:
    splitcore_frames_close(&f);
}

void c_sample_producer(void *mem, uint32_t len, uint64_t count, uint64_t seed, CResult *res) {
    SplitcoreRegion r;
    SplitcoreRing ring;
    memset(&ring, 0, sizeof ring);
    reset(res);
    EXPECT(splitcore_region_attach(&r, mem, len), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_ring_open(&r, CH_SAMPLES, SPLITCORE_END_PRODUCER, sizeof(Sample), &ring),
           SPLITCORE_STATUS_OK);
    for (uint64_t seq = 0; seq < count; seq++) {
        Sample s = make_sample(seed, seq);
        int32_t st;
        while ((st = splitcore_ring_push(&ring, &s)) == SPLITCORE_STATUS_FULL) sched_yield();
        EXPECT(st, SPLITCORE_STATUS_OK);
        res->checksum += s.check;
        res->done = seq + 1;
    }
out:
    splitcore_ring_close(&ring);
}

/* Writes {n, n ^ 0xA5A5A5A5, n * 3, ~n} for n = 1..=count. */
void c_mailbox_writer(void *mem, uint32_t len, uint32_t count, CResult *res) {
    SplitcoreRegion r;
    SplitcoreMailbox mb;
    memset(&mb, 0, sizeof mb);
    reset(res);
    EXPECT(splitcore_region_attach(&r, mem, len), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_mailbox_open(&r, CH_MAILBOX, SPLITCORE_END_PRODUCER, 16, &mb),
           SPLITCORE_STATUS_OK);
    for (uint32_t n = 1; n <= count; n++) {
        uint32_t v[4] = {n, n ^ 0xA5A5A5A5u, n * 3u, ~n};
        EXPECT(splitcore_mailbox_write(&mb, v), SPLITCORE_STATUS_OK);
        res->done = n;
    }
out:
    splitcore_mailbox_close(&mb);
}

/* The documented status codes, on `len` bytes of zeroed memory at `mem` (aligned to the
 * layout's alignment, at least the layout's size plus 8). Single-threaded. */
void c_error_checks(void *mem, uint32_t len, CResult *res) {
    SplitcoreRegion r, r2;
    SplitcoreRing prod, cons, other, zero;
    SplitcoreFrames fp, fc, fz;
    SplitcoreMailbox mw, mr;
    SplitcoreEvents es, er;
    uint32_t size = 0, align = 0, state = 0, u = 0, prev = 0;
    uint8_t *wbuf = NULL;
    const uint8_t *rbuf = NULL;
    memset(&prod, 0, sizeof prod);
    memset(&cons, 0, sizeof cons);
    memset(&other, 0, sizeof other);
    memset(&zero, 0, sizeof zero);
    memset(&fp, 0, sizeof fp);
    memset(&fc, 0, sizeof fc);
    memset(&fz, 0, sizeof fz);
    memset(&mw, 0, sizeof mw);
    memset(&mr, 0, sizeof mr);
    memset(&es, 0, sizeof es);
    memset(&er, 0, sizeof er);
    reset(res);

    /* Status names. */
    CHECK(strcmp(splitcore_status_str(SPLITCORE_STATUS_OK), "ok") == 0, "status_str(ok)");
    CHECK(strcmp(splitcore_status_str(SPLITCORE_STATUS_FRAME_TOO_LARGE), "frame too large") == 0,
          "status_str(frame too large)");
    CHECK(strcmp(splitcore_status_str(12345), "unknown status") == 0, "status_str(12345)");
    for (int32_t s = -30; s <= 5; s++) CHECK(splitcore_status_str(s) != NULL, "status_str(%d)", s);

    /* Layout computation and invalid layouts. */
    EXPECT(splitcore_layout_size(SPECS, CH_COUNT, &size, &align), SPLITCORE_STATUS_OK);
    CHECK(size + 8 <= len && align >= 4 && ((uintptr_t)mem % align) == 0,
          "layout size %u align %u, memory %u bytes", size, align, len);
    EXPECT(splitcore_layout_size(SPECS, CH_COUNT, NULL, NULL), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_layout_size(NULL, 0, &u, NULL), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_layout_size(NULL, 1, &u, NULL), SPLITCORE_STATUS_NULL_POINTER);
    EXPECT(splitcore_layout_size(SPECS, SPLITCORE_MAX_CHANNELS + 1, &u, NULL),
           SPLITCORE_STATUS_INVALID_LAYOUT);
    {
        const SplitcoreChannelSpec bad[][1] = {
            {{SPLITCORE_KIND_RING, 4, 4, 3}},      /* capacity not a power of two */
            {{SPLITCORE_KIND_FRAMES, 1, 4, 8}},    /* frames below 16 bytes */
            {{SPLITCORE_KIND_MAILBOX, 6, 2, 1}},   /* mailbox not a multiple of 4 */
            {{SPLITCORE_KIND_RING, 0, 4, 4}},      /* zero-sized element */
            {{SPLITCORE_KIND_RING, 4, 3, 4}},      /* alignment not a power of two */
            {{9, 4, 4, 1}},                        /* unknown kind */
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
            EXPECT(splitcore_layout_size(bad[i], 1, &u, NULL), SPLITCORE_STATUS_INVALID_LAYOUT);
    }

    /* Handshake errors. */
    EXPECT(splitcore_region_attach(&r, mem, len), SPLITCORE_STATUS_NOT_INITIALISED);
    EXPECT(splitcore_region_attach(&r, mem, 8), SPLITCORE_STATUS_REGION_TOO_SMALL);
    EXPECT(splitcore_region_attach(NULL, mem, len), SPLITCORE_STATUS_NULL_POINTER);
    EXPECT(splitcore_region_attach(&r, NULL, len), SPLITCORE_STATUS_NULL_POINTER);
    EXPECT(splitcore_region_init(&r, (uint8_t *)mem + 4, len - 4, SPECS, CH_COUNT, 0),
           SPLITCORE_STATUS_MISALIGNED);
    EXPECT(splitcore_region_init(&r, mem, size - 1, SPECS, CH_COUNT, 0),
           SPLITCORE_STATUS_REGION_TOO_SMALL);
    EXPECT(splitcore_region_init(NULL, mem, len, SPECS, CH_COUNT, 0), SPLITCORE_STATUS_NULL_POINTER);
    EXPECT(splitcore_region_init(&r, mem, len, SPECS, CH_COUNT, 0), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_region_init(&r2, mem, len, SPECS, CH_COUNT, 0),
           SPLITCORE_STATUS_ALREADY_INITIALISED);
    EXPECT(splitcore_region_state(&r, &state), SPLITCORE_STATUS_OK);
    CHECK(state == SPLITCORE_STATE_READY, "state %u after init", state);
    EXPECT(splitcore_region_state(&r, NULL), SPLITCORE_STATUS_NULL_POINTER);
    EXPECT(splitcore_region_attach(&r2, mem, len), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_region_state(&r2, &state), SPLITCORE_STATUS_OK);
    CHECK(state == SPLITCORE_STATE_ATTACHED, "state %u after attach", state);

    /* The header and descriptors as the header's structs describe them. */
    {
        const RegionHeader *h = (const RegionHeader *)mem;
        const ChannelDescriptor *d = (const ChannelDescriptor *)((const uint8_t *)mem +
                                                                 SPLITCORE_HEADER_SIZE);
        CHECK(h->magic == SPLITCORE_MAGIC, "magic %#x", h->magic);
        CHECK(h->version_major == SPLITCORE_VERSION_MAJOR, "version %u", h->version_major);
        CHECK(h->total_size == size, "total_size %u, want %u", h->total_size, size);
        CHECK(h->channel_count == CH_COUNT, "channel_count %u", h->channel_count);
        for (uint32_t i = 0; i < CH_COUNT; i++) {
            CHECK(d[i].kind == SPECS[i].kind, "channel %u kind %u", i, d[i].kind);
            CHECK(d[i].capacity == SPECS[i].capacity, "channel %u capacity %u", i, d[i].capacity);
            CHECK(d[i].offset % 4 == 0 && d[i].offset + d[i].len_bytes <= size,
                  "channel %u offset %u len %u", i, d[i].offset, d[i].len_bytes);
            CHECK(d[i].claims == 0, "channel %u claims %u", i, d[i].claims);
        }
    }

    /* Handles. */
    u = 7;
    EXPECT(splitcore_ring_push(&zero, &u), SPLITCORE_STATUS_BAD_HANDLE);
    EXPECT(splitcore_ring_push(NULL, &u), SPLITCORE_STATUS_NULL_POINTER);
    EXPECT(splitcore_ring_close(&zero), SPLITCORE_STATUS_BAD_HANDLE);
    EXPECT(splitcore_frames_close(&fz), SPLITCORE_STATUS_BAD_HANDLE);
    EXPECT(splitcore_frame_grant(&fz, 1, &wbuf), SPLITCORE_STATUS_BAD_HANDLE);
    EXPECT(splitcore_ring_open(&r, CH_TINY, SPLITCORE_END_PRODUCER, 4, NULL),
           SPLITCORE_STATUS_NULL_POINTER);

    /* Opening. */
    EXPECT(splitcore_ring_open(&r, 99, SPLITCORE_END_PRODUCER, 4, &other),
           SPLITCORE_STATUS_NO_SUCH_CHANNEL);
    EXPECT(splitcore_ring_open(&r, CH_TINY, 7, 4, &other), SPLITCORE_STATUS_INVALID_ARGUMENT);
    EXPECT(splitcore_ring_open(&r, CH_SMALL, SPLITCORE_END_PRODUCER, 1, &other),
           SPLITCORE_STATUS_DESCRIPTOR_MISMATCH);
    EXPECT(splitcore_ring_open(&r, CH_TINY, SPLITCORE_END_PRODUCER, 8, &other),
           SPLITCORE_STATUS_DESCRIPTOR_MISMATCH);
    EXPECT(splitcore_frames_open(&r, CH_TINY, SPLITCORE_END_PRODUCER, &fp),
           SPLITCORE_STATUS_DESCRIPTOR_MISMATCH);

    /* Typed ring: claims, ends, full and empty. */
    EXPECT(splitcore_ring_open(&r, CH_TINY, SPLITCORE_END_PRODUCER, 4, &prod), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_ring_open(&r2, CH_TINY, SPLITCORE_END_PRODUCER, 4, &other),
           SPLITCORE_STATUS_ALREADY_CLAIMED);
    EXPECT(splitcore_ring_open(&r2, CH_TINY, SPLITCORE_END_CONSUMER, 4, &cons), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_ring_pop(&prod, &u), SPLITCORE_STATUS_WRONG_END);
    EXPECT(splitcore_ring_push(&cons, &u), SPLITCORE_STATUS_WRONG_END);
    EXPECT(splitcore_ring_push(&prod, NULL), SPLITCORE_STATUS_NULL_POINTER);
    EXPECT(splitcore_ring_pop(&cons, NULL), SPLITCORE_STATUS_NULL_POINTER);
    EXPECT(splitcore_ring_pop(&cons, &u), SPLITCORE_STATUS_EMPTY);
    for (uint32_t round = 0; round < 3; round++) {
        for (uint32_t i = 0; i < 4; i++) {
            u = round * 10 + i;
            EXPECT(splitcore_ring_push(&prod, &u), SPLITCORE_STATUS_OK);
        }
        EXPECT(splitcore_ring_push(&prod, &u), SPLITCORE_STATUS_FULL);
        for (uint32_t i = 0; i < 4; i++) {
            EXPECT(splitcore_ring_pop(&cons, &u), SPLITCORE_STATUS_OK);
            CHECK(u == round * 10 + i, "popped %u, want %u", u, round * 10 + i);
        }
        EXPECT(splitcore_ring_pop(&cons, &u), SPLITCORE_STATUS_EMPTY);
    }
    EXPECT(splitcore_ring_close(&prod), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_ring_close(&prod), SPLITCORE_STATUS_BAD_HANDLE);
    EXPECT(splitcore_ring_push(&prod, &u), SPLITCORE_STATUS_BAD_HANDLE);
    EXPECT(splitcore_ring_open(&r2, CH_TINY, SPLITCORE_END_PRODUCER, 4, &prod), SPLITCORE_STATUS_OK);

    /* Frame ring (64 bytes: frames of at most 64 / 2 - 4 = 28 bytes). */
    EXPECT(splitcore_frames_open(&r, CH_SMALL, SPLITCORE_END_PRODUCER, &fp), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_frames_open(&r2, CH_SMALL, SPLITCORE_END_CONSUMER, &fc), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_frames_open(&r2, CH_SMALL, SPLITCORE_END_CONSUMER, &fz),
           SPLITCORE_STATUS_ALREADY_CLAIMED);
    EXPECT(splitcore_frame_grant(&fp, 29, &wbuf), SPLITCORE_STATUS_FRAME_TOO_LARGE);
    EXPECT(splitcore_frame_grant(&fp, UINT32_MAX, &wbuf), SPLITCORE_STATUS_FRAME_TOO_LARGE);
    EXPECT(splitcore_frame_grant(&fp, 4, NULL), SPLITCORE_STATUS_NULL_POINTER);
    EXPECT(splitcore_frame_grant(&fc, 4, &wbuf), SPLITCORE_STATUS_WRONG_END);
    EXPECT(splitcore_frame_read(&fp, &rbuf, &u), SPLITCORE_STATUS_WRONG_END);
    EXPECT(splitcore_frame_read(&fc, NULL, &u), SPLITCORE_STATUS_NULL_POINTER);
    EXPECT(splitcore_frame_read(&fc, &rbuf, NULL), SPLITCORE_STATUS_NULL_POINTER);
    EXPECT(splitcore_frame_commit(&fp, 1), SPLITCORE_STATUS_NO_GRANT);
    EXPECT(splitcore_frame_release(&fc), SPLITCORE_STATUS_NO_GRANT);
    EXPECT(splitcore_frame_read(&fc, &rbuf, &u), SPLITCORE_STATUS_EMPTY);
    EXPECT(splitcore_frame_release(&fc), SPLITCORE_STATUS_NO_GRANT);
    /* `used` is clamped to the granted length. */
    EXPECT(splitcore_frame_grant(&fp, 10, &wbuf), SPLITCORE_STATUS_OK);
    memset(wbuf, 0x42, 10);
    EXPECT(splitcore_frame_commit(&fp, 100), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_frame_commit(&fp, 1), SPLITCORE_STATUS_NO_GRANT);
    EXPECT(splitcore_frame_read(&fc, &rbuf, &u), SPLITCORE_STATUS_OK);
    CHECK(u == 10 && rbuf[0] == 0x42 && rbuf[9] == 0x42, "clamped frame: len %u", u);
    /* Reading again without releasing returns the same frame. */
    EXPECT(splitcore_frame_read(&fc, &rbuf, &u), SPLITCORE_STATUS_OK);
    CHECK(u == 10, "re-read frame: len %u", u);
    EXPECT(splitcore_frame_release(&fc), SPLITCORE_STATUS_OK);
    /* A grant abandoned by a new grant publishes nothing. */
    EXPECT(splitcore_frame_grant(&fp, 5, &wbuf), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_frame_grant(&fp, 3, &wbuf), SPLITCORE_STATUS_OK);
    memcpy(wbuf, "abc", 3);
    EXPECT(splitcore_frame_commit(&fp, 3), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_frame_read(&fc, &rbuf, &u), SPLITCORE_STATUS_OK);
    CHECK(u == 3 && memcmp(rbuf, "abc", 3) == 0, "frame after abandoned grant: len %u", u);
    EXPECT(splitcore_frame_release(&fc), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_frame_read(&fc, &rbuf, &u), SPLITCORE_STATUS_EMPTY);
    /* Many frames through the small ring, single-threaded: wrap markers, FULL. */
    {
        uint64_t sent = 0, received = 0, fulls = 0;
        uint8_t expect[32];
        while (received < 2000) {
            uint32_t n = 1 + (uint32_t)(splitmix64(sent) % 28);
            int32_t s = splitcore_frame_grant(&fp, n, &wbuf);
            if (s == SPLITCORE_STATUS_OK) {
                fill_frame(7, sent, wbuf, n);
                EXPECT(splitcore_frame_commit(&fp, n), SPLITCORE_STATUS_OK);
                sent++;
                if (splitmix64(sent * 3) % 4 != 0) continue; /* sometimes let it fill up */
            } else {
                EXPECT(s, SPLITCORE_STATUS_FULL);
                fulls++;
            }
            while ((s = splitcore_frame_read(&fc, &rbuf, &u)) == SPLITCORE_STATUS_OK) {
                uint32_t want = 1 + (uint32_t)(splitmix64(received) % 28);
                CHECK(u == want, "small frame %llu: len %u, want %u", (unsigned long long)received,
                      u, want);
                fill_frame(7, received, expect, u);
                CHECK(memcmp(rbuf, expect, u) == 0, "small frame %llu differs",
                      (unsigned long long)received);
                EXPECT(splitcore_frame_release(&fc), SPLITCORE_STATUS_OK);
                received++;
                if (splitmix64(received * 5) % 3 == 0) break;
            }
            EXPECT(s == SPLITCORE_STATUS_EMPTY ? SPLITCORE_STATUS_OK : s, SPLITCORE_STATUS_OK);
        }
        CHECK(fulls > 0, "the small ring never filled up");
        while (splitcore_frame_read(&fc, &rbuf, &u) == SPLITCORE_STATUS_OK) {
            EXPECT(splitcore_frame_release(&fc), SPLITCORE_STATUS_OK);
            received++;
        }
        CHECK(received == sent, "received %llu of %llu frames", (unsigned long long)received,
              (unsigned long long)sent);
    }

    /* A hostile peer: corrupt the small ring's head index and a record header, located
     * through the descriptor table as the header documents it. */
    {
        const ChannelDescriptor *d = (const ChannelDescriptor *)((const uint8_t *)mem +
                                                                 SPLITCORE_HEADER_SIZE) +
                                     CH_SMALL;
        uint8_t *body = (uint8_t *)mem + d->offset;
        uint32_t pad = (d->len_bytes - d->capacity) / 2; /* INDEX_PAD: not in the header */
        uint32_t *head = (uint32_t *)body;
        uint32_t *tail = (uint32_t *)(body + pad);
        uint32_t h = __atomic_load_n(head, __ATOMIC_ACQUIRE);
        uint32_t t = __atomic_load_n(tail, __ATOMIC_ACQUIRE);
        CHECK(h == t, "small ring not empty: head %u tail %u", h, t);
        __atomic_store_n(head, t + d->capacity + 4, __ATOMIC_RELEASE); /* more than capacity */
        EXPECT(splitcore_frame_read(&fc, &rbuf, &u), SPLITCORE_STATUS_PEER_CORRUPT);
        uint32_t bogus = 1000; /* longer than the largest frame */
        memcpy(body + 2 * pad + (t & (d->capacity - 1)), &bogus, 4);
        __atomic_store_n(head, t + 8, __ATOMIC_RELEASE);
        EXPECT(splitcore_frame_read(&fc, &rbuf, &u), SPLITCORE_STATUS_PEER_CORRUPT);
        /* The consumer keeps failing (it cached the bad head); reopening recovers. */
        __atomic_store_n(head, h, __ATOMIC_RELEASE);
        EXPECT(splitcore_frames_close(&fc), SPLITCORE_STATUS_OK);
        EXPECT(splitcore_frames_open(&r2, CH_SMALL, SPLITCORE_END_CONSUMER, &fc), SPLITCORE_STATUS_OK);
        EXPECT(splitcore_frame_read(&fc, &rbuf, &u), SPLITCORE_STATUS_EMPTY);
        __atomic_store_n(head, t + 2, __ATOMIC_RELEASE); /* less than a record header */
        EXPECT(splitcore_frame_read(&fc, &rbuf, &u), SPLITCORE_STATUS_PEER_CORRUPT);
        __atomic_store_n(head, h, __ATOMIC_RELEASE);
        EXPECT(splitcore_frames_close(&fc), SPLITCORE_STATUS_OK);
        EXPECT(splitcore_frames_open(&r2, CH_SMALL, SPLITCORE_END_CONSUMER, &fc), SPLITCORE_STATUS_OK);
        EXPECT(splitcore_frame_read(&fc, &rbuf, &u), SPLITCORE_STATUS_EMPTY);
        /* The consumer's tail pushed beyond head: the producer refuses to trust it. */
        __atomic_store_n(tail, t + 4, __ATOMIC_RELEASE);
        u = 0;
        for (int i = 0; i < 20 && u == 0; i++) {
            int32_t s = splitcore_frame_grant(&fp, 28, &wbuf);
            if (s == SPLITCORE_STATUS_PEER_CORRUPT) u = 1;
            else if (s == SPLITCORE_STATUS_OK) EXPECT(splitcore_frame_commit(&fp, 0), SPLITCORE_STATUS_OK);
            else FAIL(s, "grant with a corrupt tail: %s", splitcore_status_str(s));
        }
        CHECK(u == 1, "a tail ahead of head was never reported");
    }

    /* Mailbox. */
    {
        uint32_t v[4] = {1, 2, 3, 4}, w[4] = {0};
        EXPECT(splitcore_mailbox_open(&r, CH_MAILBOX, SPLITCORE_END_PRODUCER, 8, &mw),
               SPLITCORE_STATUS_DESCRIPTOR_MISMATCH);
        EXPECT(splitcore_mailbox_open(&r, CH_MAILBOX, SPLITCORE_END_PRODUCER, 16, &mw),
               SPLITCORE_STATUS_OK);
        EXPECT(splitcore_mailbox_open(&r2, CH_MAILBOX, SPLITCORE_END_CONSUMER, 16, &mr),
               SPLITCORE_STATUS_OK);
        EXPECT(splitcore_mailbox_read(&mr, w), SPLITCORE_STATUS_EMPTY);
        EXPECT(splitcore_mailbox_read(&mw, w), SPLITCORE_STATUS_WRONG_END);
        EXPECT(splitcore_mailbox_write(&mr, v), SPLITCORE_STATUS_WRONG_END);
        EXPECT(splitcore_mailbox_write(&mw, NULL), SPLITCORE_STATUS_NULL_POINTER);
        EXPECT(splitcore_mailbox_write(&mw, v), SPLITCORE_STATUS_OK);
        v[0] = 9;
        EXPECT(splitcore_mailbox_write(&mw, v), SPLITCORE_STATUS_OK);
        EXPECT(splitcore_mailbox_read(&mr, w), SPLITCORE_STATUS_OK);
        CHECK(memcmp(v, w, sizeof v) == 0, "mailbox read %u %u %u %u", w[0], w[1], w[2], w[3]);
    }

    /* Events. */
    EXPECT(splitcore_events_open(&r, CH_EVENTS, SPLITCORE_END_PRODUCER, &es), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_events_open(&r2, CH_EVENTS, SPLITCORE_END_CONSUMER, &er), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_events_raise(&es, 0x5, &prev), SPLITCORE_STATUS_OK);
    CHECK(prev == 0, "prev %#x", prev);
    EXPECT(splitcore_events_raise(&es, 0x2, &prev), SPLITCORE_STATUS_OK);
    CHECK(prev == 0x5, "prev %#x", prev);
    EXPECT(splitcore_events_raise(&es, 0x100, NULL), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_events_take(&er, &u), SPLITCORE_STATUS_OK);
    CHECK(u == 0x107, "took %#x", u);
    EXPECT(splitcore_events_take(&er, &u), SPLITCORE_STATUS_OK);
    CHECK(u == 0, "took %#x", u);
    EXPECT(splitcore_events_take(&er, NULL), SPLITCORE_STATUS_NULL_POINTER);
    EXPECT(splitcore_events_take(&es, &u), SPLITCORE_STATUS_WRONG_END);
    EXPECT(splitcore_events_raise(&er, 1, NULL), SPLITCORE_STATUS_WRONG_END);

    /* Closing releases every claim; then a forced re-initialisation is allowed. */
    EXPECT(splitcore_ring_close(&prod), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_ring_close(&cons), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_frames_close(&fp), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_frames_close(&fc), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_mailbox_close(&mw), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_mailbox_close(&mr), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_events_close(&es), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_events_close(&er), SPLITCORE_STATUS_OK);
    {
        const ChannelDescriptor *d = (const ChannelDescriptor *)((const uint8_t *)mem +
                                                                 SPLITCORE_HEADER_SIZE);
        for (uint32_t i = 0; i < CH_COUNT; i++)
            CHECK(__atomic_load_n(&d[i].claims, __ATOMIC_ACQUIRE) == 0, "channel %u claims %u after close",
                  i, d[i].claims);
    }
    EXPECT(splitcore_region_init(&r, mem, len, SPECS, CH_COUNT, 1), SPLITCORE_STATUS_OK);
    EXPECT(splitcore_region_state(&r, &state), SPLITCORE_STATUS_OK);
    CHECK(state == SPLITCORE_STATE_READY, "state %u after forced init", state);
    res->done = 1;
out:
    splitcore_ring_close(&prod);
    splitcore_ring_close(&cons);
    splitcore_ring_close(&other);
    splitcore_frames_close(&fp);
    splitcore_frames_close(&fc);
    splitcore_frames_close(&fz);
    splitcore_mailbox_close(&mw);
    splitcore_mailbox_close(&mr);
    splitcore_events_close(&es);
    splitcore_events_close(&er);
}
