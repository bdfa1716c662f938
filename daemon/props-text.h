/* SPDX-License-Identifier: MIT */
/* Fixture parser: the `Key=value` lines that `systemctl show -p Id,LoadState,... UNIT` prints,
 * turned into the UnitProps the manager would have sent over D-Bus. Lets tests and users score
 * properties captured on real hosts. Pure (no I/O, no logging); never trusts its input. */
#pragma once

#include <stddef.h>

#include "unit-props.h"

/* Parse len bytes of text (need not be NUL-terminated). Unknown keys, empty lines and lines
 * starting with '#' are ignored; properties that are absent keep unit_props_init()'s defaults;
 * a repeated key replaces the earlier value, except DeviceAllow=, which appends an entry (systemctl
 * prints one line per entry). On success *ret (which must not own data) takes the result and 0 is
 * returned. On a malformed line returns -EINVAL, sets *ret_line (if not NULL) to its 1-based
 * number and leaves *ret untouched. */
int props_text_parse(const char *text, size_t len, UnitProps *ret, unsigned *ret_line);
