/* SPDX-License-Identifier: MIT */
/* `exposured fleet` reads like its start-up sequence: options, config file, flags over it,
 * validation (and exit for --check-config), the secrets (credentials), then the Fleet, the HTTP
 * server with the fleet routes, READY=1 and the event loop. Freed in reverse order. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "buf.h"
#include "credential.h"
#include "fleet-config.h"
#include "fleet-routes.h"
#include "cmd-fleet.h"
#include "fleet.h"
#include "http-server.h"
#include "log.h"
#include "secrets.h"
#include "util.h"
#include "version.h"

static void help(void) {
        printf("Usage: exposured fleet [OPTIONS]\n\n"
               "Serve the fleet dashboard and JSON API from Prometheus' view of every host's\n"
               "exposured.\n\n"
               "  -c --config=PATH        Configuration file (default %s)\n"
               "     --prometheus=URL     Prometheus' base URL (the config's prometheus)\n"
               "     --listen=ADDR:PORT   Listen here when no socket is passed in (repeatable)\n"
               "     --job=NAME           The scrape job of the hosts' exposured\n"
               "     --log-level=LEVEL    err, warning, notice, info, debug\n"
               "  -n --check-config       Validate the configuration, print it, and exit\n"
               "  -h --help               Show this help\n",
               FLEET_CONFIG_PATH_DEFAULT);
}

/* A token source -> the token (credential_free() it), or NULL for none; a named source is
 * required. Logs. */
static int load_token(const char *key, const char *source, char **ret) {
        return secrets_read_token(key, source, CONFIG_YES, ret);
}

/* A CA source -> a readable path (free it), or NULL for none. libcurl reads the file itself at
 * every TLS handshake; it is checked here so that a typo stops the start. Logs. */
static int load_ca(const char *key, const char *source, char **ret) {
        _cleanup_free_ char *path = NULL;
        int r, fd;

        *ret = NULL;
        if (!source)
                return 0;
        r = credential_path(source, &path);
        if (r < 0)
                return log_error_errno(r, "%s: cannot resolve '%s' (a credential name needs "
                                          "LoadCredential=).",
                                       key, source);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return log_error_errno(errno, "%s: cannot read '%s': %m", key, path);
        (void) close(fd);
        *ret = TAKE_PTR(path);
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        (void) si, (void) userdata;
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Shutting down");
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int serve(const FleetConfig *config, const FleetSecrets *secrets, const char *token,
                 char **tls_key, char **tls_cert) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(http_server_freep) HttpServer *server = NULL;
        _cleanup_(fleet_freep) Fleet *fleet = NULL;
        sigset_t ss;
        int r;

        r = sd_event_default(&event);
        if (r < 0)
                return log_error_errno(r, "Failed to get an event loop: %m");
        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        (void) sigprocmask(SIG_BLOCK, &ss, NULL);
        r = sd_event_add_signal(event, NULL, SIGTERM, on_signal, NULL);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGINT, on_signal, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to watch signals: %m");
        (void) sd_event_set_watchdog(event, true);

        r = fleet_new(event, config, secrets, &fleet);
        if (r < 0)
                return r;
        HttpServerConfig hc = {
                .listen = config->listen,
                .n_listen = config->n_listen,
                .use_listen_fds = true,
                .token = token,
                .tls_key = *tls_key,
                .tls_certificate = *tls_cert,
                .allowed_hosts = config->allowed_hosts,
        };
        r = http_server_new(event, &hc, &fleet_routes, fleet, &server);
        /* MHD has its own copies now */
        *tls_key = credential_free(*tls_key);
        *tls_cert = credential_free(*tls_cert);
        if (r < 0)
                return r;
        log_info("exposured fleet %s: Prometheus at '%s', job '%s'.", EXPOSURED_VERSION,
                 config->prometheus, config->job);
        (void) sd_notifyf(false, "READY=1\nSTATUS=Serving the fleet of job '%s' from %s",
                          config->job, config->prometheus);
        r = sd_event_loop(event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        /* the jobs first (they hold deferred responses), then the server */
        fleet = fleet_free(fleet);
        return 0;
}

int cmd_fleet(int argc, char **argv) {
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "prometheus", required_argument, NULL, 'p' },
                { "listen", required_argument, NULL, 'l' },
                { "job", required_argument, NULL, 'j' },
                { "log-level", required_argument, NULL, 'L' },
                { "check-config", no_argument, NULL, 'n' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(fleet_config_freep) FleetConfig *config = fleet_config_new();
        _cleanup_(credential_freep) char *prometheus_token = NULL, *hosts_token = NULL;
        _cleanup_(credential_freep) char *token = NULL, *tls_key = NULL, *tls_cert = NULL;
        _cleanup_free_ char *prometheus_ca = NULL, *hosts_ca = NULL;
        const char *config_path = FLEET_CONFIG_PATH_DEFAULT;
        const char *prometheus = NULL, *job = NULL, *log_level = NULL;
        bool check = false, config_given = false;
        Buf listen = {};
        ConfigError e = {};
        int c, r;

        while ((c = getopt_long(argc, argv, "c:nh", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        config_path = optarg;
                        config_given = true;
                        break;
                case 'p':
                        prometheus = optarg;
                        break;
                case 'l':
                        /* repeated --listen flags form one list, like the key's value */
                        if (listen.len)
                                buf_putc(&listen, ' ');
                        buf_puts(&listen, optarg);
                        break;
                case 'j':
                        job = optarg;
                        break;
                case 'L':
                        log_level = optarg;
                        break;
                case 'n':
                        check = true;
                        break;
                case 'h':
                        help();
                        buf_done(&listen);
                        return EXIT_SUCCESS;
                default:
                        buf_done(&listen);
                        return EXIT_FAILURE;
                }
        if (optind < argc) {
                log_error("Unexpected argument '%s'.", argv[optind]);
                buf_done(&listen);
                return EXIT_FAILURE;
        }

        r = fleet_config_load(config, config_path, !config_given, &e);
        if (r < 0) {
                buf_done(&listen);
                r = config_error_log(config_path, &e, r);
                config_error_done(&e);
                return r;
        }
        if (prometheus)
                r = fleet_config_set(config, "prometheus", prometheus, &e);
        if (r >= 0 && listen.len)
                r = fleet_config_set(config, "listen", listen.data, &e);
        if (r >= 0 && job)
                r = fleet_config_set(config, "job", job, &e);
        if (r >= 0 && log_level)
                r = fleet_config_set(config, "log_level", log_level, &e);
        if (r >= 0)
                r = fleet_config_validate(config, &e);
        buf_done(&listen);
        if (r < 0) {
                r = config_error_log("command line", &e, r);
                config_error_done(&e);
                return r;
        }
        log_set_max_level(config->log_level);
        if (check) {
                _cleanup_free_ char *text = fleet_config_format(config);
                fputs(text, stdout);
                return EXIT_SUCCESS;
        }

        if (load_token("prometheus_token", config->prometheus_token, &prometheus_token) < 0 ||
            load_token("hosts_token", config->hosts_token, &hosts_token) < 0 ||
            load_token("token", config->token, &token) < 0 ||
            load_ca("prometheus_ca", config->prometheus_ca, &prometheus_ca) < 0 ||
            load_ca("hosts_ca", config->hosts_ca, &hosts_ca) < 0 ||
            secrets_read_tls(config->tls, config->tls_key, config->tls_certificate, &tls_key,
                             &tls_cert) < 0)
                return EXIT_FAILURE;
        FleetSecrets secrets = {
                .prometheus_token = prometheus_token,
                .prometheus_ca = prometheus_ca,
                .hosts_token = hosts_token,
                .hosts_ca = hosts_ca,
        };
        return serve(config, &secrets, token, &tls_key, &tls_cert) < 0 ? EXIT_FAILURE :
                                                                          EXIT_SUCCESS;
}
