/* SPDX-License-Identifier: MIT */
/* Renderers of a fix plan (plan.h): the `exposured suggest` table and drop-in, the JSON body of
 * /api/v1/units/{unit}/plan and `suggest --json`, the unit page's "Fix plan" section. Pure: a Plan
 * in, bytes appended to a Buf; unit names are escaped for each format. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "plan.h"

/* The drop-in path of a unit: /etc/systemd/system/UNIT.d/50-exposured.conf. A unit with a
 * drop-in that sorts after that name would override the plan's lines (systemd reads drop-ins in
 * file name order): then the plan goes last, PLAN_DROPIN_NAME_LAST (plan_dropin_name()). */
#define PLAN_DROPIN_DIR "/etc/systemd/system/"
#define PLAN_DROPIN_NAME "50-exposured.conf"
#define PLAN_DROPIN_NAME_LAST "zz-exposured.conf"

/* The drop-in file name for a unit whose drop-ins are paths (DropInPaths; NULL for none). */
const char *plan_dropin_name(char *const *paths);

/* dropin_name: NULL for PLAN_DROPIN_NAME. */
/* The plan as a table (STEP, LINE, EXPOSURE, RISK, CHECKED, REASON), then the drop-in and the
 * commands that apply it; for an empty plan one line that says the unit is at its best for
 * max_risk. Control characters in the unit name are shown as \xNN. */
void render_plan_text(const char *unit, const Plan *p, PlanRisk max_risk, const char *dropin_name,
                      Buf *out);

/* {"unit", "exposure", "max_risk", "steps": [{"line", "exposure", "risk", "reason", "checked"}],
 * "dropin", "dropin_path"} ("dropin" null for an empty plan). Returns 0 or -ENOMEM. */
int render_plan_json(const char *unit, const Plan *p, PlanRisk max_risk, const char *dropin_name,
                     bool pretty, Buf *out);

/* One row of the fleet view: a unit and its plan. */
typedef struct PlanFleetEntry {
        const char *unit;
        Plan plan;
} PlanFleetEntry;

/* The fleet view: UNIT, EXPOSURE, AFTER, LINES, sorted by the caller. */
void render_plan_fleet_text(const PlanFleetEntry *e, size_t n, Buf *out);
/* [{"unit", "exposure", "after", "lines"}]. Returns 0 or -ENOMEM. */
int render_plan_fleet_json(const PlanFleetEntry *e, size_t n, bool pretty, Buf *out);

/* The unit page's "Fix plan" section (<section id="plan">...</section>). */
void render_plan_html(const char *unit, const Plan *p, PlanRisk max_risk, const char *dropin_name,
                      Buf *out);
