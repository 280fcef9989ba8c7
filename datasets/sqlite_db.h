#pragma once
// Thin RAII layer over the sqlite3 C API: a connection, prepared statements, transactions.
// Errors become DbError carrying SQLite's message; nothing here knows about samples.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace ember::data {

struct DbError : std::runtime_error {
    using std::runtime_error::runtime_error;
    DbError(const std::string& what, bool busy) : std::runtime_error(what), busy(busy) {}
    // Another connection held the lock past the busy timeout: the same call may succeed later.
    bool busy = false;
};

class Statement;

// Called on the calling thread before every connection is opened and every statement prepared
// or executed: tests check that the studio's GUI thread never waits on the disk. nullptr: none.
using QueryObserver = void (*)(const std::string& sql);
void setQueryObserver(QueryObserver observer);

class Database {
public:
    // Opens (creating) the file, sets WAL, foreign keys and a busy timeout so that a second
    // process waits for a writer instead of failing with SQLITE_BUSY.
    // readOnly: SQLITE_OPEN_READONLY (a workspace on read-only media, or another user's); every
    // write then fails with SQLite's "attempt to write a readonly database".
    explicit Database(const std::string& path, int busyTimeoutMs = 10000, bool readOnly = false);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    void exec(const std::string& sql);
    Statement prepare(const std::string& sql);
    int64_t lastInsertId() const;
    // How long a statement waits for another connection's write lock before DbError (busy).
    void setBusyTimeout(int ms);
    int changes() const;
    sqlite3* handle() const { return db_; }
    const std::string& path() const { return path_; }
    bool readOnly() const { return readOnly_; }

private:
    sqlite3* db_ = nullptr;
    bool readOnly_ = false;
    std::string path_;
};

class Statement {
public:
    Statement(sqlite3* db, const std::string& sql);
    ~Statement();
    Statement(Statement&& o) noexcept;
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;

    // Bind by 1-based index; returns *this for chaining.
    Statement& bind(int i, int64_t v);
    Statement& bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
    Statement& bind(int i, double v);
    Statement& bind(int i, const std::string& v);
    Statement& bindBlob(int i, const std::vector<uint8_t>& v);
    Statement& bindNull(int i);

    // true while a row is available; false when done.
    bool step();
    // step() expecting no row (INSERT/UPDATE/DELETE); resets for reuse.
    void run();
    void reset();   // also clears bindings

    int64_t getInt(int col) const;
    double getDouble(int col) const;
    std::string getText(int col) const;
    std::vector<uint8_t> getBlob(int col) const;
    bool isNull(int col) const;

private:
    sqlite3* db_ = nullptr;
    sqlite3_stmt* st_ = nullptr;
};

// BEGIN IMMEDIATE on construction (takes the write lock at once, so two writers queue on the
// busy timeout instead of deadlocking on lock upgrade); ROLLBACK unless commit() was called.
// Inside another transaction it is a SAVEPOINT: its commit keeps the work for the outer one
// to commit or roll back (one command importing several files is one transaction).
class Transaction {
public:
    explicit Transaction(Database& db);
    ~Transaction();
    void commit();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

private:
    Database& db_;
    bool nested_ = false;
    bool done_ = false;
};

} // namespace ember::data
