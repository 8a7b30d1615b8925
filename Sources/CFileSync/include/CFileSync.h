// Linux calls that Glibc's Swift module does not expose (they need _GNU_SOURCE): file sync, thread names.
#ifndef CFILESYNC_H
#define CFILESYNC_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>

/// Starts writeback of a byte range without waiting for it (sync_file_range with
/// SYNC_FILE_RANGE_WRITE). Returns 0, or -1 with errno; a no-op returning 0 elsewhere.
static inline int fleet_start_writeback(int fd, int64_t offset, int64_t length) {
#ifdef __linux__
    return sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd; (void)offset; (void)length;
    return 0;
#endif
}

/// Names the calling thread (pthread_setname_np, a GNU extension; the kernel keeps 15 bytes).
/// Returns 0 or an error number; a no-op returning 0 elsewhere. Used by the agent's own
/// blocking-work threads since Foundation's Thread (which named them) is not linked.
static inline int fleet_name_current_thread(const char *name) {
#ifdef __linux__
    return pthread_setname_np(pthread_self(), name);
#else
    (void)name;
    return 0;
#endif
}
#endif
