/* SPDX-License-Identifier: MIT */
/* Fixture parser: the `Key=value` lines that `systemctl show -p Id,LoadState,... UNIT` prints,
 * turned into the UnitProps the manager would have sent over D-Bus. Lets tests and users score
 * properties captured on real hosts. Pure (no I/O, no logging); never trusts its input. */
#pragma once

#include <stddef.h>

#include "buf.h"
#include "unit-props.h"

/* Parse len bytes of text (need not be NUL-terminated). Unknown keys, empty lines and lines
 * starting with '#' are ignored; properties that are absent keep unit_props_init()'s defaults;
 * a repeated key replaces the earlier value, except DeviceAllow=, which appends an entry (systemctl
 * prints one line per entry). On success *ret (which must not own data) takes the result and 0 is
 * returned. On a malformed line returns -EINVAL, sets *ret_line (if not NULL) to its 1-based
 * number and leaves *ret untouched. */
int props_text_parse(const char *text, size_t len, UnitProps *ret, unsigned *ret_line);

/* The inverse: append p to out as `Key=value` lines that props_text_parse() reads back into the
 * same properties (the fields of its table; the others, such as DropInPaths, MainPID and
 * user_manager, are not written), one per property, DeviceAllow= once per entry, and no empty
 * line (a report of several units separates them with one, user-reports.h). Description= has
 * control characters replaced by spaces (it is display only, never scored). Returns 0, or
 * -EINVAL when a scored value cannot be written so that it parses back the same (a newline in a
 * string, a blank inside a list entry, a DeviceAllow= entry without permissions); out is then
 * left as it was. */
int props_text_format(const UnitProps *p, Buf *out);
