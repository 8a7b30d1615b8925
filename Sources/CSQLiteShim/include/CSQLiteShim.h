// A narrow C interface to the system's libsqlite3 for the agent (ledger, backup snapshots).
// Only these fleet_sqlite_* names are visible to Swift, not <sqlite3.h>: a test that also
// imports GRDB (whose module owns <sqlite3.h>) sees no second module claiming that header.
#ifndef CSQLITESHIM_H
#define CSQLITESHIM_H
#include <stdint.h>

enum {
    FLEET_SQLITE_OK = 0,
    FLEET_SQLITE_CORRUPT = 11,
    FLEET_SQLITE_NOTADB = 26,
    FLEET_SQLITE_ROW = 100,
    FLEET_SQLITE_DONE = 101,
    FLEET_SQLITE_INTEGER = 1,
    FLEET_SQLITE_FLOAT = 2,
    FLEET_SQLITE_TEXT = 3,
    FLEET_SQLITE_BLOB = 4,
    FLEET_SQLITE_NULL = 5,
};

/// Opens `path` (created when missing unless `readonly`). On failure `*db` may still be set
/// (to read the message) and must be closed.
int fleet_sqlite_open(const char *path, int readonly, void **db);
int fleet_sqlite_close(void *db);
/// The primary result code of the last failed call (SQLITE_NOTADB, SQLITE_CORRUPT, …).
int fleet_sqlite_errcode(void *db);
const char *fleet_sqlite_errmsg(void *db);
const char *fleet_sqlite_errstr(int code);
int fleet_sqlite_busy_timeout(void *db, int milliseconds);
/// Runs one or more statements without results.
int fleet_sqlite_exec(void *db, const char *sql);

int fleet_sqlite_prepare(void *db, const char *sql, void **statement);
int fleet_sqlite_finalize(void *statement);
int fleet_sqlite_bind_null(void *statement, int index);
int fleet_sqlite_bind_int64(void *statement, int index, int64_t value);
int fleet_sqlite_bind_double(void *statement, int index, double value);
/// Binds a copy of `length` bytes of UTF-8 text.
int fleet_sqlite_bind_text(void *statement, int index, const char *text, int length);
int fleet_sqlite_step(void *statement);
int fleet_sqlite_column_count(void *statement);
const char *fleet_sqlite_column_name(void *statement, int column);
int fleet_sqlite_column_type(void *statement, int column);
int64_t fleet_sqlite_column_int64(void *statement, int column);
double fleet_sqlite_column_double(void *statement, int column);
/// The column as UTF-8 text; `*length` is its length in bytes. NULL for a NULL value.
const unsigned char *fleet_sqlite_column_text(void *statement, int column, int *length);

/// Copies the whole `main` database of `source` into `destination` with the online backup
/// API, in one step (a writer on the source cannot restart it halfway).
int fleet_sqlite_backup(void *destination, void *source);
#endif
