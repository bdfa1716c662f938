// SPDX-License-Identifier: MIT
// exposured dashboard: progressive enhancement only. The pages work without this file (the
// filter form submits to the server, which sorts and filters). Here: click-to-sort headers,
// live filtering while typing, and a refresh of the services table every 30 s from
// /api/v1/units. Never builds HTML from strings: unit names are data (textContent only).
"use strict";

(function () {
        function key(row, k) {
                if (k === "name") return row.dataset.unit || row.cells[1].textContent;
                if (k === "verdict") return row.className;
                return Number(row.dataset[k] || 0);
        }

        function sortBy(table, th) {
                const k = th.dataset.key;
                const asc = th.getAttribute("aria-sort") !== "ascending";
                table.querySelectorAll("th").forEach((h) => h.removeAttribute("aria-sort"));
                th.setAttribute("aria-sort", asc ? "ascending" : "descending");
                const body = table.tBodies[0];
                const rows = Array.from(body.rows);
                rows.sort((a, b) => {
                        const x = key(a, k), y = key(b, k);
                        const c = x < y ? -1 : x > y ? 1 : 0;
                        return asc ? c : -c;
                });
                rows.forEach((r) => body.appendChild(r));
        }

        document.querySelectorAll("table.sortable").forEach((table) => {
                table.querySelectorAll("th[data-key]").forEach((th) => {
                        th.tabIndex = 0;
                        th.addEventListener("click", () => sortBy(table, th));
                        th.addEventListener("keydown", (e) => {
                                if (e.key === "Enter") sortBy(table, th);
                        });
                });
        });

        const units = document.getElementById("units");
        const filter = document.getElementById("filter");
        const pred = document.getElementById("predicate");
        const policy = document.getElementById("policy");
        const shown = document.getElementById("shown");
        const order = ["PERFECT", "SAFE", "OK", "MEDIUM", "EXPOSED", "UNSAFE", "DANGEROUS"];
        const paged = document.querySelector("nav.pager") !== null;
        if (!units) return;

        function applyFilter() {
                const text = filter ? filter.value.toLowerCase() : "";
                const min = pred && pred.value ? order.indexOf(pred.value) : -1;
                const pol = policy && policy.value ? policy.value : "";
                const rows = Array.from(units.tBodies[0].rows);
                let n = 0;
                rows.forEach((row) => {
                        const name = row.cells[0].textContent.toLowerCase();
                        const ok = (!text || name.includes(text)) &&
                                Number(row.dataset.predicate) >= min &&
                                (!pol || row.dataset.policy === pol);
                        row.classList.toggle("hidden", !ok);
                        if (ok) n++;
                });
                // On one page of several, the live filter sees this page's rows only.
                if (shown)
                        shown.textContent = "Showing " + n + " of " + rows.length +
                                (paged ? " services on this page." : " services.");
        }
        // Type=oneshot services are not in the page's rows: ask the server for them.
        const oneshot = document.getElementById("oneshot");
        if (oneshot) oneshot.addEventListener("change", () => oneshot.form.submit());
        if (filter) filter.addEventListener("input", applyFilter);
        if (pred) pred.addEventListener("change", applyFilter);
        if (policy && policy.tagName === "SELECT") policy.addEventListener("change", applyFilter);

        // Put a unit's new score into its row (text only) and mark the row as changed.
        function updateRow(row, u) {
                const pcell = row.querySelector(".pol");
                if (pcell && u.policy && row.dataset.policy !== u.policy) {
                        pcell.textContent = u.policy;
                        pcell.className = "pol pol-" + u.policy;
                        row.dataset.policy = u.policy;
                        row.classList.add("changed");
                }
                const cell = row.querySelector(".exposure");
                const text = u.exposure.toFixed(1);
                if (!cell || cell.textContent === text) return;
                cell.textContent = text;
                const badge = row.querySelector(".badge");
                if (badge) {
                        badge.textContent = u.predicate;
                        badge.className = "badge p-" + u.predicate.toLowerCase();
                }
                row.dataset.exposure = String(Math.round(u.exposure * 10));
                row.dataset.predicate = String(order.indexOf(u.predicate));
                row.classList.add("changed");
        }

        // Every unit, page by page (pages of 1,000: each renders in some 20 ms, so other requests
        // are served in between; next_cursor until null).
        function fetchUnits(cursor, byId) {
                const q = "?limit=1000" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
                return fetch("/api/v1/units" + q, { headers: { Accept: "application/json" } })
                        .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
                        .then((data) => {
                                data.units.forEach((u) => byId.set(u.unit, u));
                                return data.next_cursor ? fetchUnits(data.next_cursor, byId)
                                                        : byId;
                        });
        }

        function refresh() {
                fetchUnits(null, new Map())
                        .then((byId) => {
                                Array.from(units.tBodies[0].rows).forEach((row) => {
                                        const u = byId.get(row.dataset.unit);
                                        if (u) updateRow(row, u);
                                });
                        })
                        .catch(() => {});
        }
        setInterval(refresh, 30000);
        // Lets tests (and other scripts) ask for a refresh now.
        document.addEventListener("exposured-refresh", refresh);
})();
