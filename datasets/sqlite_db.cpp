#include "sqlite_db.h"

#include <sqlite3.h>

namespace ember::data {

namespace {
[[noreturn]] void fail(sqlite3* db, const std::string& what)
{
    throw DbError(what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}
} // namespace

Database::Database(const std::string& path, int busyTimeoutMs) : path_(path)
{
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        db_ = nullptr;
        throw DbError("cannot open database " + path + ": " + msg);
    }
    sqlite3_busy_timeout(db_, busyTimeoutMs);
    try {
        exec("PRAGMA journal_mode=WAL");
        // NORMAL is durable across process crashes in WAL mode (only power loss can drop the
        // last commits), and much faster than FULL for many small transactions.
        exec("PRAGMA synchronous=NORMAL");
        exec("PRAGMA foreign_keys=ON");
    } catch (...) {
        sqlite3_close(db_);
        db_ = nullptr;
        throw;
    }
}

Database::~Database()
{
    if (db_)
        sqlite3_close_v2(db_);
}

void Database::exec(const std::string& sql)
{
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errmsg(db_);
        sqlite3_free(err);
        throw DbError("SQL failed (" + sql.substr(0, 60) + "): " + msg);
    }
}

Statement Database::prepare(const std::string& sql) { return Statement(db_, sql); }
int64_t Database::lastInsertId() const { return sqlite3_last_insert_rowid(db_); }
int Database::changes() const { return sqlite3_changes(db_); }

Statement::Statement(sqlite3* db, const std::string& sql) : db_(db)
{
    if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &st_, nullptr) != SQLITE_OK)
        fail(db, "cannot prepare (" + sql.substr(0, 80) + ")");
}

Statement::~Statement()
{
    if (st_)
        sqlite3_finalize(st_);
}

Statement::Statement(Statement&& o) noexcept : db_(o.db_), st_(o.st_) { o.st_ = nullptr; }

Statement& Statement::bind(int i, int64_t v)
{
    if (sqlite3_bind_int64(st_, i, v) != SQLITE_OK) fail(db_, "bind");
    return *this;
}
Statement& Statement::bind(int i, double v)
{
    if (sqlite3_bind_double(st_, i, v) != SQLITE_OK) fail(db_, "bind");
    return *this;
}
Statement& Statement::bind(int i, const std::string& v)
{
    if (sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT) != SQLITE_OK)
        fail(db_, "bind");
    return *this;
}
Statement& Statement::bindBlob(int i, const std::vector<uint8_t>& v)
{
    if (sqlite3_bind_blob(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT) != SQLITE_OK)
        fail(db_, "bind");
    return *this;
}
Statement& Statement::bindNull(int i)
{
    if (sqlite3_bind_null(st_, i) != SQLITE_OK) fail(db_, "bind");
    return *this;
}

bool Statement::step()
{
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    const std::string msg = sqlite3_errmsg(db_);
    sqlite3_reset(st_);
    throw DbError("SQL step failed: " + msg);
}

void Statement::run()
{
    step();
    reset();
}

void Statement::reset()
{
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
}

int64_t Statement::getInt(int col) const { return sqlite3_column_int64(st_, col); }
double Statement::getDouble(int col) const { return sqlite3_column_double(st_, col); }
std::string Statement::getText(int col) const
{
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(st_, col))) : std::string();
}
std::vector<uint8_t> Statement::getBlob(int col) const
{
    auto p = static_cast<const uint8_t*>(sqlite3_column_blob(st_, col));
    return p ? std::vector<uint8_t>(p, p + sqlite3_column_bytes(st_, col)) : std::vector<uint8_t>();
}
bool Statement::isNull(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction()
{
    if (!done_) {
        try {
            db_.exec("ROLLBACK");
        } catch (...) {
            // A failed rollback leaves SQLite to roll back when the connection closes.
        }
    }
}

void Transaction::commit()
{
    db_.exec("COMMIT");
    done_ = true;
}

} // namespace ember::data
