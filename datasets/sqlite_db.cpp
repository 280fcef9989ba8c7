#include "sqlite_db.h"

#include <atomic>
#include <cstdio>

#include <sqlite3.h>

namespace ember::data {

namespace {
bool isBusy(sqlite3* db)
{
    const int rc = db ? (sqlite3_errcode(db) & 0xff) : SQLITE_OK;
    return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

[[noreturn]] void fail(sqlite3* db, const std::string& what)
{
    throw DbError(what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"), isBusy(db));
}
} // namespace

namespace {
std::atomic<QueryObserver> gObserver{nullptr};

void observe(const std::string& sql)
{
    if (auto o = gObserver.load(std::memory_order_relaxed)) o(sql);
}
} // namespace

void setQueryObserver(QueryObserver observer) { gObserver = observer; }

Database::Database(const std::string& path, int busyTimeoutMs, bool readOnly) : path_(path), readOnly_(readOnly)
{
    observe("open " + path);
    // Read-only: a WAL database in a folder nobody may write needs "immutable" (no -shm file can
    // be made); nobody can be writing it there either.
    // A URI names the file: '%', '?' and '#' in the path must be escaped.
    std::string uri = "file:";
    for (char c : path) {
        if (c == '%' || c == '?' || c == '#') {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
            uri += buf;
        } else {
            uri += c;
        }
    }
    const std::string target = readOnly ? uri + "?mode=ro" : path;
    const int flags = (readOnly ? SQLITE_OPEN_READONLY | SQLITE_OPEN_URI : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                      SQLITE_OPEN_FULLMUTEX;
    auto openWith = [&](const std::string& name) {
        if (sqlite3_open_v2(name.c_str(), &db_, flags, nullptr) == SQLITE_OK) return true;
        sqlite3_close(db_);
        db_ = nullptr;
        return false;
    };
    if (!openWith(target))
        throw DbError("cannot open database " + path);
    sqlite3_busy_timeout(db_, busyTimeoutMs);
    try {
        if (readOnly) {
            // Probe: reading fails at once when the -shm file cannot be created.
            if (sqlite3_exec(db_, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr) != SQLITE_OK) {
                sqlite3_close(db_);
                db_ = nullptr;
                if (!openWith(uri + "?immutable=1"))
                    throw DbError("cannot open database " + path + " read-only");
                exec("SELECT count(*) FROM sqlite_master");
            }
            exec("PRAGMA foreign_keys=ON");
            return;
        }
        exec("PRAGMA journal_mode=WAL");
        // NORMAL is durable across process crashes in WAL mode (only power loss can drop the
        // last commits), and much faster than FULL for many small transactions.
        exec("PRAGMA synchronous=NORMAL");
        exec("PRAGMA journal_size_limit=67108864");   // a reset WAL shrinks back to 64 MiB at most
        exec("PRAGMA foreign_keys=ON");
    } catch (...) {
        if (db_) sqlite3_close(db_);
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
    observe(sql);
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errmsg(db_);
        sqlite3_free(err);
        throw DbError("SQL failed (" + sql.substr(0, 60) + "): " + msg, isBusy(db_));
    }
}

Statement Database::prepare(const std::string& sql) { return Statement(db_, sql); }
void Database::setBusyTimeout(int ms) { sqlite3_busy_timeout(db_, ms); }
int64_t Database::lastInsertId() const { return sqlite3_last_insert_rowid(db_); }
int Database::changes() const { return sqlite3_changes(db_); }

Statement::Statement(sqlite3* db, const std::string& sql) : db_(db)
{
    observe(sql);
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
    const bool busy = isBusy(db_);
    sqlite3_reset(st_);
    throw DbError("SQL step failed: " + msg, busy);
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

Transaction::Transaction(Database& db) : db_(db), nested_(sqlite3_get_autocommit(db.handle()) == 0)
{
    db_.exec(nested_ ? "SAVEPOINT nested" : "BEGIN IMMEDIATE");
}

Transaction::~Transaction()
{
    if (!done_) {
        try {
            db_.exec(nested_ ? "ROLLBACK TO nested; RELEASE nested" : "ROLLBACK");
        } catch (...) {
            // A failed rollback leaves SQLite to roll back when the connection closes.
        }
    }
}

void Transaction::commit()
{
    db_.exec(nested_ ? "RELEASE nested" : "COMMIT");
    done_ = true;
}

} // namespace ember::data
