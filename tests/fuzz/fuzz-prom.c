/* SPDX-License-Identifier: MIT */
/* Fuzz target for what `exposured fleet` reads from the network: Prometheus' query and targets
 * answers (prom_parse_query(), prom_parse_targets()) and the hosts' unit documents
 * (fleet_diff_build(), the input split in two), then everything downstream of a parsed answer:
 * every model builder with the answer in every slot, and every JSON and HTML renderer. Nothing
 * may crash, leak or read out of bounds, whatever the bytes; the JSON must always render.
 *   libFuzzer: `make fuzz`, then build/fuzz/fuzz-prom tests/fuzz/corpus/prom/
 *   stdin driver (default): reads one input from stdin, or each file named on the command line.
 * `make check-unit` replays tests/fuzz/corpus/prom/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fleet-model.h"
#include "prom-client.h"
#include "render-fleet.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void model(PromResult *r) {
        PromResult *h[_FLEET_HQ_MAX], *u[_FLEET_UQ_MAX], *uh[_FLEET_UHQ_MAX], *rg[_FLEET_RQ_MAX];
        FleetStatus st = { .now = 2000000000, .data_time = 1999999000, .error = "e",
                           .host_url = "http://{instance}/{hostname}" };
        Buf b = {};

        for (size_t i = 0; i < _FLEET_HQ_MAX; i++)
                h[i] = r;
        for (size_t i = 0; i < _FLEET_UQ_MAX; i++)
                u[i] = r;
        for (size_t i = 0; i < _FLEET_UHQ_MAX; i++)
                uh[i] = r;
        for (size_t i = 0; i < _FLEET_RQ_MAX; i++)
                rg[i] = r;

        FleetHosts *hosts = fleet_hosts_build(h, st.now, 3600);
        if (render_fleet_json_hosts(hosts, &st, &b) < 0)
                abort();
        render_fleet_html_hosts(hosts, &st, &b);
        fleet_hosts_free(hosts);

        FleetUnits *units = fleet_units_build(u);
        for (size_t i = 0; i < units->n; i++)
                if (units->units[i].min > units->units[i].max || units->units[i].max > 100)
                        abort();
        if (render_fleet_json_units(units, &st, &b) < 0)
                abort();
        render_fleet_html_units(units, &st, &b);
        fleet_units_free(units);

        FleetUnitHosts *one = fleet_unit_hosts_build("a.service", uh);
        if (render_fleet_json_unit(one, &st, &b) < 0)
                abort();
        render_fleet_html_unit(one, NULL, NULL, NULL, NULL, &st, &b);
        fleet_unit_hosts_free(one);

        FleetRegressions *regs = fleet_regressions_build(rg, 1000, 15);
        if (regs->n > FLEET_ROWS_MAX || render_fleet_json_regressions(regs, &st, &b) < 0)
                abort();
        render_fleet_html_regressions(regs, &st, &b);
        fleet_regressions_free(regs);
        buf_done(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *s = (const char *) data;
        PromResult *r = NULL;
        FleetDiff *d = NULL;
        char *err = NULL;

        if (prom_parse_query(s, size, &r, &err) >= 0) {
                model(r);
                prom_result_free(r);
        } else if (!err)
                abort(); /* every failure says why */
        free(err);
        err = NULL;
        r = NULL;
        if (prom_parse_targets(s, size, &r, &err) >= 0)
                prom_result_free(r);
        free(err);
        err = NULL;
        if (fleet_diff_build("a.service", s, size / 2, s + size / 2, size - size / 2, &d,
                             &err) >= 0) {
                FleetStatus st = { .now = 1, .data_time = 1 };
                Buf b = {};
                if (render_fleet_json_diff(d, "a", "b", &st, &b) < 0)
                        abort();
                buf_done(&b);
                fleet_diff_free(d);
        }
        free(err);
        return 0;
}

#include "fuzz-main.h"
