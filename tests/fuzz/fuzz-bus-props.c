/* SPDX-License-Identifier: MIT */
/* Fuzz target for the D-Bus property decoder (daemon/bus-props.c). The input is not parsed as a
 * D-Bus message: it drives the construction of a real one. The bytes choose what to append to a
 * real sd-bus message (on a private bus started on a socketpair: sd-bus builds messages only on
 * a started bus; nothing is ever sent), which is then sealed, rewound and decoded, exactly as a
 * reply from PID 1 arrives:
 *   byte 0, low 2 bits: the decoder: GetAll (bus_props_from_message), GetAll merged onto earlier
 *     values (bus_props_update_from_message), Get (bus_props_read_property), or a body that is
 *     not a{sv} at all, given to GetAll;
 *   then, per property: a name (a row of the map, or bytes of the input), a signature (the row's,
 *     another row's, or a random complete type: nested variants, arrays, structs, dicts), and a
 *     value of that signature built from the following bytes.
 * What follows the decoder: score_unit() with every table on what it produced. Nothing may crash,
 * leak or read out of bounds; a failed decode must leave the target untouched (GetAll) and a
 * decoded IP prefix list must be consistent with its count.
 *
 * Built as a libFuzzer target (`make fuzz`: build/fuzz/fuzz-bus-props) or, by default, a driver
 * that runs every file named on the command line, or stdin (fuzz-main.h); `make check-unit`
 * replays tests/fuzz/corpus/bus-props/. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>

#include "bus-props.h"
#include "score.h"
#include "unit-props.h"

#define DEPTH_MAX 6      /* nesting of containers in one value (sd-bus allows more) */
#define ARRAY_MAX 64     /* elements of one array, unless the "long array" bit asks for more */
#define ARRAY_LONG 600   /* SystemCallFilter lists run to hundreds of entries */
#define PROPS_MAX 128    /* properties in one GetAll body */
#define STR_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct Input {
        const uint8_t *data;
        size_t size, pos;
} Input;

static bool in_eof(const Input *in) {
        return in->pos >= in->size;
}

/* The next byte; zeroes once the input is used up, so every builder terminates. */
static uint8_t in_byte(Input *in) {
        return in_eof(in) ? 0 : in->data[in->pos++];
}

static uint64_t in_u64(Input *in, unsigned n) {
        uint64_t v = 0;

        for (unsigned i = 0; i < n; i++)
                v = v << 8 | in_byte(in);
        return v;
}

/* A string of the input's bytes, cut at NUL; "valid" keeps it printable ASCII (names, paths). */
static void in_string(Input *in, char *buf, size_t cap, bool valid) {
        size_t len = in_byte(in) % cap, i;

        for (i = 0; i < len && !in_eof(in); i++) {
                uint8_t c = in_byte(in);

                if (c == 0)
                        break;
                buf[i] = valid ? (char) (0x20 + c % 0x5f) : (char) c;
        }
        buf[i] = '\0';
}

static sd_bus *fuzz_bus(void) {
        static sd_bus *bus;
        int fds[2];

        if (bus)
                return bus;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0 || sd_bus_new(&bus) < 0 ||
            sd_bus_set_fd(bus, fds[0], fds[0]) < 0 || sd_bus_start(bus) < 0)
                abort();
        /* fds[1] stays open for the process' life: the bus must not see a hang-up. */
        return bus;
}

/* ---- random complete types ---- */

static const char basic_types[] = "ybnqiuxtdsog";

/* Appends one complete type to sig (NUL-terminated, room checked). */
static void gen_signature(Input *in, char *sig, size_t cap, unsigned depth) {
        size_t len = strlen(sig);
        uint8_t c = in_byte(in);

        if (len + 8 >= cap || depth >= DEPTH_MAX || c < 128) {
                if (len + 1 < cap) {
                        sig[len] = basic_types[c % (sizeof basic_types - 1)];
                        sig[len + 1] = '\0';
                }
                return;
        }
        switch (c % 4) {
        case 0: /* array */
                strcat(sig, "a");
                gen_signature(in, sig, cap, depth + 1);
                break;
        case 1: /* struct of 1..3 */
                strcat(sig, "(");
                for (unsigned i = 0, n = 1 + in_byte(in) % 3; i < n; i++)
                        gen_signature(in, sig, cap, depth + 1);
                if (strlen(sig) + 1 < cap)
                        strcat(sig, ")");
                else
                        sig[len] = '\0', strcat(sig, "s");
                break;
        case 2: /* dict: a{basic X} */
                sig[len] = 'a', sig[len + 1] = '{', sig[len + 2] = '\0';
                sig[len + 2] = basic_types[in_byte(in) % (sizeof basic_types - 1)];
                sig[len + 3] = '\0';
                gen_signature(in, sig, cap, depth + 1);
                if (strlen(sig) + 1 < cap)
                        strcat(sig, "}");
                else
                        sig[len] = '\0', strcat(sig, "s");
                break;
        default:
                strcat(sig, "v");
                break;
        }
}

/* The length of the complete type at sig (a valid signature, as gen_signature() writes). */
static size_t type_len(const char *sig) {
        size_t n = 1;
        int level = 0;

        if (sig[0] == 'a')
                return 1 + type_len(sig + 1);
        if (sig[0] != '(' && sig[0] != '{')
                return 1;
        for (const char *p = sig;; p++, n++) {
                if (*p == '(' || *p == '{')
                        level++;
                else if (*p == ')' || *p == '}')
                        level--;
                if (level == 0)
                        return n;
        }
}

/* ---- values ---- */

static int append_value(Input *in, sd_bus_message *m, const char *sig, unsigned depth);

static int append_basic(Input *in, sd_bus_message *m, char type) {
        char s[STR_MAX + 1];
        int r;

        switch (type) {
        case 'y': {
                uint8_t v = in_byte(in);
                return sd_bus_message_append_basic(m, type, &v);
        }
        case 'b': {
                int v = in_byte(in) & 1;
                return sd_bus_message_append_basic(m, type, &v);
        }
        case 'n': case 'q': {
                uint16_t v = (uint16_t) in_u64(in, 2);
                return sd_bus_message_append_basic(m, type, &v);
        }
        case 'i': case 'u': {
                uint32_t v = (uint32_t) in_u64(in, 4);
                return sd_bus_message_append_basic(m, type, &v);
        }
        case 'x': case 't': {
                uint64_t v = in_u64(in, 8);
                return sd_bus_message_append_basic(m, type, &v);
        }
        case 'd': {
                uint64_t bits = in_u64(in, 8);
                double v;
                memcpy(&v, &bits, sizeof v);
                return sd_bus_message_append_basic(m, type, &v);
        }
        case 'o':
                in_string(in, s + 1, sizeof s - 1, true);
                s[0] = '/';
                for (char *p = s + 1; *p; p++) /* object paths: [A-Za-z0-9_] between slashes */
                        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
                                *p = '_';
                return sd_bus_message_append_basic(m, type, s);
        case 'g':
                s[0] = '\0';
                if (in_byte(in) & 1)
                        gen_signature(in, s, sizeof s, 0);
                return sd_bus_message_append_basic(m, type, s);
        default: /* 's': arbitrary bytes; sd-bus refuses invalid UTF-8, then a plain one */
                in_string(in, s, sizeof s, (in_byte(in) & 3) != 0);
                r = sd_bus_message_append_basic(m, 's', s);
                if (r < 0)
                        r = sd_bus_message_append_basic(m, 's', "x");
                return r;
        }
}

static int append_array(Input *in, sd_bus_message *m, const char *elem, unsigned depth) {
        size_t elen = type_len(elem);
        char contents[256];
        unsigned n;
        int r;

        if (elen >= sizeof contents)
                return -E2BIG;
        memcpy(contents, elem, elen);
        contents[elen] = '\0';
        n = in_byte(in);
        n = n & 0x80 ? (unsigned) (n & 0x7f) * (ARRAY_LONG / 0x7f) : n % ARRAY_MAX;
        r = sd_bus_message_open_container(m, 'a', contents);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < n && !in_eof(in); i++) {
                if (elem[0] == '{') {
                        char kv[256];

                        memcpy(kv, elem + 1, elen - 2);
                        kv[elen - 2] = '\0';
                        r = sd_bus_message_open_container(m, 'e', kv);
                        if (r >= 0)
                                r = append_value(in, m, kv, depth + 1);
                        if (r >= 0)
                                r = append_value(in, m, kv + 1, depth + 1);
                        if (r >= 0)
                                r = sd_bus_message_close_container(m);
                } else
                        r = append_value(in, m, contents, depth + 1);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(m);
}

/* Appends one value of the complete type at sig (only its first complete type is used). */
static int append_value(Input *in, sd_bus_message *m, const char *sig, unsigned depth) {
        char contents[256];
        size_t len;
        int r;

        switch (sig[0]) {
        case 'a':
                return append_array(in, m, sig + 1, depth);
        case '(':
                len = type_len(sig);
                if (len - 2 >= sizeof contents)
                        return -E2BIG;
                memcpy(contents, sig + 1, len - 2);
                contents[len - 2] = '\0';
                r = sd_bus_message_open_container(m, 'r', contents);
                if (r < 0)
                        return r;
                for (const char *p = contents; *p; p += type_len(p)) {
                        r = append_value(in, m, p, depth + 1);
                        if (r < 0)
                                return r;
                }
                return sd_bus_message_close_container(m);
        case 'v':
                contents[0] = '\0';
                gen_signature(in, contents, sizeof contents, depth + 1);
                r = sd_bus_message_open_container(m, 'v', contents);
                if (r < 0)
                        return r;
                r = append_value(in, m, contents, depth + 1);
                if (r < 0)
                        return r;
                return sd_bus_message_close_container(m);
        default:
                return append_basic(in, m, sig[0]);
        }
}

/* A property: a name and a variant. The signature is usually the row's (so the readers run on
 * well-formed values: short, empty, long, odd prefixes), sometimes another row's, sometimes
 * random. */
static int append_property(Input *in, sd_bus_message *m, bool with_name, char *ret_name,
                           size_t name_cap) {
        size_t n_map;
        const BusPropMap *map = bus_prop_map_get(&n_map), *row = NULL;
        char sig[128];
        uint8_t c = in_byte(in);
        int r;

        if (c & 0x80) {
                in_string(in, ret_name, name_cap, (c & 0x40) != 0);
                row = bus_prop_map_find(ret_name);
        } else {
                row = &map[c % n_map];
                snprintf(ret_name, name_cap, "%s", row->name);
        }
        c = in_byte(in);
        sig[0] = '\0';
        if (c < 0xa0 && row)
                snprintf(sig, sizeof sig, "%s", row->signature);
        else if (c < 0xc0)
                snprintf(sig, sizeof sig, "%s", map[c % n_map].signature);
        else
                gen_signature(in, sig, sizeof sig, 0);

        if (with_name) {
                r = sd_bus_message_open_container(m, 'e', "sv");
                if (r < 0)
                        return r;
                r = sd_bus_message_append_basic(m, 's', ret_name);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_open_container(m, 'v', sig);
        if (r < 0)
                return r;
        r = append_value(in, m, sig, 1);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        return with_name ? sd_bus_message_close_container(m) : 0;
}

static void check_props(const UnitProps *p) {
        if ((p->n_ip_address_allow > 0) != (p->ip_address_allow != NULL) ||
            (p->n_ip_address_deny > 0 && !p->ip_address_deny) ||
            (p->n_device_allow > 0 && !p->device_allow))
                abort();
        for (size_t t = 0; t < score_tables_count; t++) {
                ScoreReport rep;

                (void) score_unit(score_tables[t], NULL, p, &rep);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Input in = { .data = data, .size = size };
        sd_bus_message *m = NULL;
        UnitProps p;
        char name[STR_MAX + 1] = "";
        uint8_t mode = in_byte(&in);
        int r;

        unit_props_init(&p);
        if (sd_bus_message_new_signal(fuzz_bus(), &m, "/org/freedesktop/systemd1/unit/fuzz",
                                      "org.freedesktop.DBus.Properties", "Fuzz") < 0)
                abort();

        switch (mode & 3) {
        case 0: case 1: /* GetAll body, a{sv} */
                r = sd_bus_message_open_container(m, 'a', "{sv}");
                for (unsigned i = 0; r >= 0 && i < PROPS_MAX && !in_eof(&in); i++)
                        r = append_property(&in, m, true, name, sizeof name);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                break;
        case 2: /* Get body: one variant */
                r = append_property(&in, m, false, name, sizeof name);
                break;
        default: { /* not an a{sv}: whatever complete types, as a confused peer would send */
                char sig[128] = "";

                r = 0;
                for (unsigned i = 0; r >= 0 && i < 4 && !in_eof(&in); i++) {
                        sig[0] = '\0';
                        gen_signature(&in, sig, sizeof sig, 0);
                        r = append_value(&in, m, sig, 0);
                }
                break;
        }
        }
        /* A builder error (a limit of sd-bus) is not a finding: nothing to decode. */
        if (r < 0 || sd_bus_message_seal(m, 1, 0) < 0 || sd_bus_message_rewind(m, true) < 0)
                goto out;

        switch (mode & 3) {
        case 1: /* merged onto values from an earlier reply */
                p.id = strdup("earlier.service");
                p.ip_address_deny = calloc(1, sizeof(IPPrefix));
                p.n_ip_address_deny = p.ip_address_deny ? 1 : 0;
                if (bus_props_update_from_message(m, &p) >= 0 && !sd_bus_message_at_end(m, true))
                        abort(); /* a decoded body is used up */
                break;
        case 2:
                r = bus_props_read_property(m, name, &p);
                if (r == -EINVAL && bus_prop_map_find(name))
                        abort();
                break;
        default: {
                UnitProps q;

                unit_props_init(&q);
                r = bus_props_from_message(m, &q);
                if (r < 0 && (q.id || q.n_ip_address_allow || q.system_call_filter))
                        abort(); /* a failed decode leaves *ret as it was */
                check_props(&q);
                unit_props_done(&q);
                break;
        }
        }
        check_props(&p);
out:
        unit_props_done(&p);
        sd_bus_message_unref(m);
        return 0;
}

#include "fuzz-main.h"
