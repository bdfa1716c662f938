/* SPDX-License-Identifier: MIT */
/* `exposured run`: reads like the daemon's start-up sequence: options, config file, flags over
 * it, validation (and exit here for --check-config), then the manager and its event loop. */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <systemd/sd-daemon.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "config-check.h"
#include "log.h"
#include "manager.h"
#include "cmd-run.h"
#include "unit-policy.h"
#include "util.h"
#include "version.h"

static void help(void) {
        printf("Usage: exposured [run] [OPTIONS]\n\n"
               "Watch every systemd service, score its exposure as systemd-analyze security\n"
               "does, keep the history and serve it over HTTP.\n\n"
               "  -c --config=PATH       Configuration file (default %s)\n"
               "     --db=PATH           History database (overrides the config's db)\n"
               "     --listen=ADDR:PORT  Listen here when no socket is passed in (repeatable)\n"
               "     --log-level=LEVEL   err, warning, notice, info, debug\n"
               "     --policy-dir=DIR    Unit policy files DIR/*.conf (default %s)\n"
               "  -n --check-config      Validate the configuration and its drop-ins, the unit\n"
               "                         policy, and that the credentials it needs reach the\n"
               "                         service; print the configuration, and exit\n"
               "  -h --help              Show this help\n"
               "     --version           Show the version\n",
               CONFIG_PATH_DEFAULT, POLICY_DIR_DEFAULT);
}

/* Where HTTP will listen, for the start-up line: the sockets the service manager passed in
 * (exposured.socket), else the configured addresses, else nothing. Reads the environment only
 * (sd_listen_fds(false) leaves it for the HTTP server). */
static void describe_listeners(const Config *c, Buf *b) {
        int n = sd_listen_fds(false);

        if (n > 0) {
                for (int i = 0; i < n; i++) {
                        struct sockaddr_storage ss = {};
                        socklen_t len = sizeof ss;
                        char host[INET6_ADDRSTRLEN] = "?";
                        int port = 0;

                        buf_puts(b, i ? ", " : "");
                        if (getsockname(SD_LISTEN_FDS_START + i, (struct sockaddr *) &ss, &len) < 0)
                                buf_puts(b, "?");
                        else if (ss.ss_family == AF_INET) {
                                const struct sockaddr_in *a = (const struct sockaddr_in *) &ss;
                                (void) inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
                                port = ntohs(a->sin_port);
                                buf_printf(b, "%s:%d", host, port);
                        } else if (ss.ss_family == AF_INET6) {
                                const struct sockaddr_in6 *a = (const struct sockaddr_in6 *) &ss;
                                (void) inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
                                port = ntohs(a->sin6_port);
                                buf_printf(b, "[%s]:%d", host, port);
                        } else if (ss.ss_family == AF_UNIX)
                                buf_puts(b, "a unix socket");
                        else
                                buf_printf(b, "a socket of family %d", ss.ss_family);
                }
                buf_puts(b, " (passed by the service manager)");
                return;
        }
        for (size_t i = 0; i < c->n_listen; i++) {
                buf_puts(b, i ? ", " : "");
                buf_puts(b, c->listen[i].text);
        }
        if (c->n_listen == 0)
                buf_puts(b, "nothing (listen is empty and no socket was passed in)");
}

int cmd_run(int argc, char **argv) {
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "db", required_argument, NULL, 'd' },
                { "listen", required_argument, NULL, 'l' },
                { "log-level", required_argument, NULL, 'L' },
                { "check-config", no_argument, NULL, 'n' },
                { "policy-dir", required_argument, NULL, 'P' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        _cleanup_(config_freep) Config *config = config_new();
        _cleanup_(manager_freep) Manager *m = NULL;
        const char *config_path = CONFIG_PATH_DEFAULT, *db = NULL, *log_level = NULL;
        const char *policy_dir = POLICY_DIR_DEFAULT;
        _cleanup_(strv_freep) char **listen = NULL;
        bool check = false, config_given = false;
        ConfigError e = {};
        int c, r;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "c:nh", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        config_path = optarg;
                        config_given = true;
                        break;
                case 'd':
                        db = optarg;
                        break;
                case 'l':
                        strv_push(&listen, optarg);
                        break;
                case 'L':
                        log_level = optarg;
                        break;
                case 'n':
                        check = true;
                        break;
                case 'P':
                        policy_dir = optarg;
                        break;
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                case 'V':
                        printf("exposured %s\n", EXPOSURED_VERSION);
                        return EXIT_SUCCESS;
                default:
                        (void) cli_option_error("run", argv);
                        return EXIT_USAGE;
                }
        if (optind < argc) {
                log_error("Unexpected argument '%s' (see exposured run --help).", argv[optind]);
                return EXIT_USAGE;
        }

        /* The default config file may be absent; one named with --config must exist. */
        r = config_load(config, config_path, !config_given, &e);
        if (r < 0) {
                r = config_error_log(config_path, &e, r);
                config_error_done(&e);
                return r;
        }
        if (db)
                r = config_set(config, "db", db, &e);
        if (r >= 0 && listen) {
                /* Repeated --listen flags form one list, like the config key's value. */
                Buf b = {};
                for (char **l = listen; *l; l++) {
                        if (l != listen)
                                buf_putc(&b, ' ');
                        buf_puts(&b, *l);
                }
                r = config_set(config, "listen", b.data, &e);
                buf_done(&b);
        }
        if (r >= 0 && log_level)
                r = config_set(config, "log_level", log_level, &e);
        if (r >= 0)
                r = config_validate(config, &e);
        if (r < 0) {
                r = config_error_log("command line", &e, r);
                config_error_done(&e);
                return r;
        }
        log_set_max_level(config->log_level);

        if (check) {
                _cleanup_(unit_policy_freep) UnitPolicy *p = NULL;
                _cleanup_free_ char *text = NULL;
                PolicyError pe = {};

                /* The policy as the daemon would read it: FILE:LINE for the first problem. */
                r = unit_policy_load_dir(policy_dir, &p, &pe);
                if (r < 0) {
                        _cleanup_free_ char *msg = policy_error_format(&pe);
                        policy_error_done(&pe);
                        log_error("%s", msg);
                        return EXIT_FAILURE;
                }
                /* Beyond the text: the credentials that tls and token ask for must reach the
                 * service, or every start fails and Restart= loops (config-check.h). */
                r = config_check_start(config, &e);
                if (r < 0) {
                        r = config_error_log(config_path, &e, r);
                        config_error_done(&e);
                        return r;
                }
                text = config_format(config);
                fputs(text, stdout);
                printf("# unit policy: %zu rules in %zu files from %s\n", p->n_rules,
                       strv_length(p->files), policy_dir);
                return EXIT_SUCCESS;
        }

        /* One line that says what this instance is, as Debian's daemons print at start: the
         * version, the scoring table, the listeners and the database. The first scan's summary
         * follows when it is stored (manager.c). */
        Buf l = {};
        describe_listeners(config, &l);
        if (config->systemd_version)
                log_info("exposured %s starting: scoring with systemd %s's table (systemd_version), "
                         "HTTP on %s, database '%s'.", EXPOSURED_VERSION, config->systemd_version,
                         l.data, config->db);
        else
                log_info("exposured %s starting: scoring with the watched systemd's own table, "
                         "HTTP on %s, database '%s'.", EXPOSURED_VERSION, l.data, config->db);
        buf_done(&l);
        r = manager_new(TAKE_PTR(config), &m);
        if (r < 0)
                return EXIT_FAILURE;
        /* A broken policy is no reason not to watch: it is logged, /api/v1/status and /metrics
         * say so, and a reload with the file fixed picks it up. */
        (void) manager_load_policy(m, policy_dir);
        return manager_run(m);
}
