/* SPDX-License-Identifier: MIT */
/* `exposured run` (the default) and `exposured --check-config`: command line + config file ->
 * Config -> Manager -> event loop. */
#pragma once

/* argv[0] is the subcommand ("run") or the program. Returns the process exit status. */
int cmd_run(int argc, char **argv);
