// Linux file-sync calls that Glibc's Swift module does not expose (they need _GNU_SOURCE).
#ifndef CFILESYNC_H
#define CFILESYNC_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
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
#endif
