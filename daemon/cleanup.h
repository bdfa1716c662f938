/* SPDX-License-Identifier: MIT */
/* _cleanup_ helpers for locals (systemd style). Only generic ones live here; library-specific
 * unref functions come from the libraries themselves (sd_bus_unrefp, sd_event_unrefp, ...). */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

/* Take ownership out of a _cleanup_ variable: returns the value and leaves NULL behind. */
#define TAKE_PTR(p)                                     \
        ({                                              \
                __typeof__(p) _take_ptr_ = (p);         \
                (p) = NULL;                             \
                _take_ptr_;                             \
        })

#define TAKE_FD(fd)                                     \
        ({                                              \
                int _take_fd_ = (fd);                   \
                (fd) = -1;                              \
                _take_fd_;                              \
        })

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)         \
        static inline void func##p(type *p) {           \
                if (*p)                                 \
                        *p = func(*p);                  \
        }

static inline void freep(void *p) {
        free(*(void **) p);
}

static inline void closep(int *fd) {
        if (*fd >= 0)
                (void) close(*fd);
}

static inline void fclosep(FILE **f) {
        if (*f)
                (void) fclose(*f);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
