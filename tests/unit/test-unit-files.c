/* SPDX-License-Identifier: MIT */
/* unit-files on a real directory tree (a temporary root): a unit's stamp sees a file rewritten
 * in place, replaced by rename, removed, and a symbolic link turned; the search stamp sees new
 * and removed names (unit files, drop-in directories, drop-ins), generator output by content
 * only, and system.conf by content, and ignores a unit file replaced under the same name. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit-files.h"
#include "util.h"

static char root[64];

static void put(const char *rel, const char *text) {
        char p[PATH_MAX], tmp[PATH_MAX + 8];
        FILE *f;

        (void) snprintf(p, sizeof p, "%s%s", root, rel);
        (void) snprintf(tmp, sizeof tmp, "%s.tmp", p);
        f = fopen(tmp, "w");
        assert_non_null(f);
        assert_true(fputs(text, f) >= 0);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(rename(tmp, p), 0);
}

/* Rewrite in place, keeping the inode (and the size: the time or ctime must tell). */
static void put_in_place(const char *rel, const char *text) {
        char p[PATH_MAX];
        FILE *f;

        (void) snprintf(p, sizeof p, "%s%s", root, rel);
        f = fopen(p, "r+");
        assert_non_null(f);
        assert_true(fputs(text, f) >= 0);
        assert_int_equal(fclose(f), 0);
}

static void mkdir_rel(const char *rel) {
        char p[PATH_MAX];
        (void) snprintf(p, sizeof p, "%s%s", root, rel);
        assert_int_equal(mkdir(p, 0755), 0);
}

static void rm_rel(const char *rel) {
        char p[PATH_MAX];
        (void) snprintf(p, sizeof p, "%s%s", root, rel);
        assert_int_equal(remove(p), 0);
}

static void tick(void) {
        /* File times have nanoseconds, but some file systems round them: make sure they move. */
        (void) usleep(20000);
}

static int setup(void **state) {
        static const char *const dirs[] = { "/etc", "/etc/systemd", "/etc/systemd/system",
                                            "/run", "/run/systemd", "/run/systemd/generator",
                                            "/lib", "/lib/systemd", "/lib/systemd/system" };
        (void) state;
        (void) snprintf(root, sizeof root, "/tmp/test-unit-files-XXXXXX");
        assert_non_null(mkdtemp(root));
        for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
                mkdir_rel(dirs[i]);
        return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) flag;
        (void) ftw;
        return remove(path) < 0 ? -1 : 0;
}

static int teardown(void **state) {
        (void) state;
        /* Only our own mkdtemp() directory, depth first, links not followed. */
        assert_int_equal(strncmp(root, "/tmp/test-unit-files-", 21), 0);
        return nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void props_of(UnitProps *p, const char *id, const char *fragment, const char *dropin) {
        unit_props_init(p);
        p->id = xstrdup(id);
        p->fragment_path = xstrdup(fragment);
        if (dropin)
                strv_push(&p->drop_in_paths, dropin);
}

static void test_unit_stamp(void **state) {
        UnitFiles f = {};
        UnitProps p;
        char target[PATH_MAX], link[PATH_MAX];

        (void) state;
        unit_files_set_root(&f, root);
        put("/etc/systemd/system/a.service", "[Service]\nExecStart=/bin/true\n");
        mkdir_rel("/etc/systemd/system/a.service.d");
        put("/etc/systemd/system/a.service.d/x.conf", "[Service]\nPrivateTmp=yes\n");
        props_of(&p, "a.service", "/etc/systemd/system/a.service",
                 "/etc/systemd/system/a.service.d/x.conf");

        /* Unknown until recorded; recorded and untouched: unchanged. */
        assert_true(unit_files_changed(&f, "a.service"));
        unit_files_record(&f, &p, false);
        assert_false(unit_files_changed(&f, "a.service"));
        assert_int_equal(unit_files_find(&f, "a.service")->n_paths, 2);

        /* The drop-in edited in place, same size. */
        tick();
        put_in_place("/etc/systemd/system/a.service.d/x.conf", "[Service]\nPrivateTmp=no!\n");
        assert_true(unit_files_changed(&f, "a.service"));
        unit_files_record(&f, &p, false);
        assert_false(unit_files_changed(&f, "a.service"));

        /* The fragment replaced by rename (what editors and config management do). */
        put("/etc/systemd/system/a.service", "[Service]\nExecStart=/bin/false\n");
        assert_true(unit_files_changed(&f, "a.service"));
        unit_files_record(&f, &p, false);

        /* The drop-in removed. */
        rm_rel("/etc/systemd/system/a.service.d/x.conf");
        assert_true(unit_files_changed(&f, "a.service"));
        unit_files_record(&f, &p, false);
        assert_false(unit_files_changed(&f, "a.service"));

        /* NeedDaemonReload, or an explicit invalidation: changed until recorded again. */
        p.need_daemon_reload = true;
        unit_files_record(&f, &p, false);
        assert_true(unit_files_changed(&f, "a.service"));
        p.need_daemon_reload = false;
        unit_files_record(&f, &p, false);
        unit_files_invalidate(&f, "a.service");
        assert_true(unit_files_changed(&f, "a.service"));
        unit_props_done(&p);

        /* A fragment that is a symbolic link, turned to another target of the same size. */
        put("/lib/systemd/system/one.service", "[Service]\nExecStart=/bin/one\n");
        put("/lib/systemd/system/two.service", "[Service]\nExecStart=/bin/two\n");
        (void) snprintf(target, sizeof target, "%s/lib/systemd/system/one.service", root);
        (void) snprintf(link, sizeof link, "%s/etc/systemd/system/l.service", root);
        assert_int_equal(symlink(target, link), 0);
        props_of(&p, "l.service", "/etc/systemd/system/l.service", NULL);
        unit_files_record(&f, &p, false);
        assert_false(unit_files_changed(&f, "l.service"));
        assert_int_equal(unlink(link), 0);
        (void) snprintf(target, sizeof target, "%s/lib/systemd/system/two.service", root);
        assert_int_equal(symlink(target, link), 0);
        assert_true(unit_files_changed(&f, "l.service"));
        unit_props_done(&p);

        /* Forgotten: unknown again; the other record stays. */
        unit_files_forget(&f, "a.service");
        assert_null(unit_files_find(&f, "a.service"));
        assert_non_null(unit_files_find(&f, "l.service"));
        unit_files_done(&f);
}

static void test_search_stamp(void **state) {
        static char *const path[] = { "/etc/systemd/system", "/run/systemd/generator",
                                      "/run/systemd/transient", "/lib/systemd/system", NULL };
        UnitFiles f = {};
        uint64_t s0, s;

        (void) state;
        unit_files_set_root(&f, root);
        put("/etc/systemd/system/b.service", "[Service]\nExecStart=/bin/true\n");
        put("/run/systemd/generator/g.service", "[Service]\nExecStart=/bin/gen\n");
        s0 = unit_files_search_stamp(&f, path);
        assert_true(unit_files_search_stamp(&f, path) == s0);

        /* A unit file replaced under its name: the unit's stamp tells, not the search stamp. */
        put("/etc/systemd/system/b.service", "[Service]\nExecStart=/bin/false\n");
        assert_true(unit_files_search_stamp(&f, path) == s0);

        /* A new unit file, a new drop-in directory, a new drop-in in it: each a change. */
        put("/etc/systemd/system/c.service", "[Service]\nExecStart=/bin/true\n");
        s = unit_files_search_stamp(&f, path);
        assert_true(s != s0);
        mkdir_rel("/etc/systemd/system/b.service.d");
        assert_true(unit_files_search_stamp(&f, path) != s);
        s = unit_files_search_stamp(&f, path);
        put("/etc/systemd/system/b.service.d/y.conf", "[Service]\nPrivateTmp=yes\n");
        assert_true(unit_files_search_stamp(&f, path) != s);
        s = unit_files_search_stamp(&f, path);
        rm_rel("/etc/systemd/system/b.service.d/y.conf");
        assert_true(unit_files_search_stamp(&f, path) != s);
        s = unit_files_search_stamp(&f, path);

        /* Generator output rewritten with the same bytes (a reload does that): no change; other
         * bytes: a change. */
        rm_rel("/run/systemd/generator/g.service");
        put("/run/systemd/generator/g.service", "[Service]\nExecStart=/bin/gen\n");
        assert_true(unit_files_search_stamp(&f, path) == s);
        put("/run/systemd/generator/g.service", "[Service]\nExecStart=/bin/GEN\n");
        assert_true(unit_files_search_stamp(&f, path) != s);
        s = unit_files_search_stamp(&f, path);

        /* The transient directory does not count (UnitNew/UnitRemoved report it). */
        mkdir_rel("/run/systemd/transient");
        put("/run/systemd/transient/t.service", "[Service]\nExecStart=/bin/true\n");
        assert_true(unit_files_search_stamp(&f, path) == s);

        /* system.conf and its drop-ins, by content. */
        put("/etc/systemd/system.conf", "[Manager]\n");
        assert_true(unit_files_search_stamp(&f, path) != s);
        s = unit_files_search_stamp(&f, path);
        put("/etc/systemd/system.conf", "[Manager]\n");
        assert_true(unit_files_search_stamp(&f, path) == s);
        mkdir_rel("/etc/systemd/system.conf.d");
        put("/etc/systemd/system.conf.d/x.conf", "[Manager]\nDefaultTimeoutStartSec=5s\n");
        assert_true(unit_files_search_stamp(&f, path) != s);

        /* NULL: systemd's default search path, which includes /etc/systemd/system. */
        s = unit_files_search_stamp(&f, NULL);
        rm_rel("/etc/systemd/system/c.service");
        assert_true(unit_files_search_stamp(&f, NULL) != s);
        unit_files_done(&f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_unit_stamp, setup, teardown),
                cmocka_unit_test_setup_teardown(test_search_stamp, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
