#include "CSQLiteShim.h"
#include <sqlite3.h>

int fleet_sqlite_open(const char *path, int readonly, void **db) {
    sqlite3 *handle = 0;
    int flags = (readonly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path, &handle, flags, 0);
    *db = handle;
    return rc;
}
int fleet_sqlite_close(void *db) { return sqlite3_close_v2((sqlite3 *)db); }
int fleet_sqlite_errcode(void *db) { return sqlite3_errcode((sqlite3 *)db) & 0xff; }
const char *fleet_sqlite_errmsg(void *db) { return sqlite3_errmsg((sqlite3 *)db); }
const char *fleet_sqlite_errstr(int code) { return sqlite3_errstr(code); }
int fleet_sqlite_busy_timeout(void *db, int milliseconds) { return sqlite3_busy_timeout((sqlite3 *)db, milliseconds); }
int fleet_sqlite_exec(void *db, const char *sql) { return sqlite3_exec((sqlite3 *)db, sql, 0, 0, 0); }

int fleet_sqlite_prepare(void *db, const char *sql, void **statement) {
    sqlite3_stmt *handle = 0;
    int rc = sqlite3_prepare_v2((sqlite3 *)db, sql, -1, &handle, 0);
    *statement = handle;
    return rc;
}
int fleet_sqlite_finalize(void *statement) { return sqlite3_finalize((sqlite3_stmt *)statement); }
int fleet_sqlite_bind_null(void *statement, int index) { return sqlite3_bind_null((sqlite3_stmt *)statement, index); }
int fleet_sqlite_bind_int64(void *statement, int index, int64_t value) {
    return sqlite3_bind_int64((sqlite3_stmt *)statement, index, (sqlite3_int64)value);
}
int fleet_sqlite_bind_double(void *statement, int index, double value) {
    return sqlite3_bind_double((sqlite3_stmt *)statement, index, value);
}
int fleet_sqlite_bind_text(void *statement, int index, const char *text, int length) {
    return sqlite3_bind_text((sqlite3_stmt *)statement, index, text, length, SQLITE_TRANSIENT);
}
int fleet_sqlite_step(void *statement) { return sqlite3_step((sqlite3_stmt *)statement); }
int fleet_sqlite_column_count(void *statement) { return sqlite3_column_count((sqlite3_stmt *)statement); }
const char *fleet_sqlite_column_name(void *statement, int column) {
    return sqlite3_column_name((sqlite3_stmt *)statement, column);
}
int fleet_sqlite_column_type(void *statement, int column) { return sqlite3_column_type((sqlite3_stmt *)statement, column); }
int64_t fleet_sqlite_column_int64(void *statement, int column) {
    return (int64_t)sqlite3_column_int64((sqlite3_stmt *)statement, column);
}
double fleet_sqlite_column_double(void *statement, int column) {
    return sqlite3_column_double((sqlite3_stmt *)statement, column);
}
const unsigned char *fleet_sqlite_column_text(void *statement, int column, int *length) {
    const unsigned char *text = sqlite3_column_text((sqlite3_stmt *)statement, column);
    *length = sqlite3_column_bytes((sqlite3_stmt *)statement, column);
    return text;
}

int fleet_sqlite_backup(void *destination, void *source) {
    sqlite3_backup *backup = sqlite3_backup_init((sqlite3 *)destination, "main", (sqlite3 *)source, "main");
    if (!backup) return sqlite3_errcode((sqlite3 *)destination);
    int rc = sqlite3_backup_step(backup, -1);
    int finished = sqlite3_backup_finish(backup);
    return rc == SQLITE_DONE ? finished : rc;
}
