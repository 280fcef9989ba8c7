#include "workspace.h"

#include "atomic_file.h"

#include "content_hash.h"
#include "image.h"
#include "sample_json.h"
#include "schema.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <unistd.h>

namespace fs = std::filesystem;

namespace ember::data {

namespace {

constexpr int kThumbnailSide = 96;   // long side of the list views' thumbnails
constexpr const char* kSampleColumns =
    "s.id, s.uid, s.task, s.caption, s.robot_mask, s.split, s.status, s.source, s.image_id, "
    "COALESCE(i.path, ''), s.modified, COALESCE(s.derived_from, '')";

void validate(const Sample& s)
{
    normalizeRobots(s.robots);   // throws for an out-of-range index
    for (const auto& st : s.subtasks)
        if (st.robot < 0 || st.robot >= robotCount())
            throw std::invalid_argument("subtask '" + st.text + "': robot index out of range");
}

std::string lowerExt(const std::string& path)
{
    std::string e = fs::path(path).extension().string();
    if (!e.empty() && e[0] == '.') e.erase(0, 1);
    for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return e == "jpeg" ? "jpg" : e;
}

struct Where {
    std::string sql;
    std::vector<std::pair<bool, std::string>> params;   // (isInt, value)
};

Where buildWhere(const SampleQuery& q)
{
    Where w;
    std::vector<std::string> parts;
    auto addText = [&](const std::string& clause, const std::string& v) {
        parts.push_back(clause);
        w.params.emplace_back(false, v);
    };
    if (q.split) addText("s.split = ?", toString(*q.split));
    if (q.status) addText("s.status = ?", toString(*q.status));
    if (q.robot >= 0) {
        parts.push_back("(s.robot_mask & ?) != 0");
        w.params.emplace_back(true, std::to_string(1u << q.robot));
    }
    if (!q.text.empty()) {
        std::string esc;
        for (char c : q.text) {
            if (c == '%' || c == '_' || c == '\\') esc += '\\';
            esc += c;
        }
        parts.push_back("(s.task LIKE ?1x ESCAPE '\\' OR s.caption LIKE ?1x ESCAPE '\\' OR s.source LIKE ?1x ESCAPE '\\')");
        w.params.emplace_back(false, "%" + esc + "%");
    }
    if (q.hasImage) parts.push_back(*q.hasImage ? "s.image_id IS NOT NULL" : "s.image_id IS NULL");
    if (q.derived) parts.push_back(*q.derived ? "s.derived_from IS NOT NULL" : "s.derived_from IS NULL");
    if (!q.source.empty()) {
        // Prefix match that can use no index but needs no escaping either.
        parts.push_back("substr(s.source, 1, ?) = ?");
        w.params.emplace_back(true, std::to_string(q.source.size()));
        w.params.emplace_back(false, q.source);
    }
    for (size_t i = 0; i < parts.size(); ++i) w.sql += (i ? " AND " : " WHERE ") + parts[i];
    return w;
}

// Binds the parameters, expanding the text-search placeholder (used three times) into
// numbered parameters so each binds once.
Statement prepareWith(Database& db, std::string sql, const Where& w, int64_t extraA = -1, int64_t extraB = -1,
                      bool withPage = false)
{
    std::string res;
    int num = 0;
    bool inSearch = false;
    int searchNum = 0;
    for (size_t i = 0; i < sql.size(); ++i) {
        if (sql[i] != '?') {
            res += sql[i];
            continue;
        }
        if (sql.compare(i, 3, "?1x") == 0) {
            if (!inSearch) {
                searchNum = ++num;
                inSearch = true;
            }
            res += "?" + std::to_string(searchNum);
            i += 2;
            continue;
        }
        inSearch = false;
        res += "?" + std::to_string(++num);
    }
    auto st = db.prepare(res);
    int idx = 0;
    for (const auto& [isInt, v] : w.params) {
        ++idx;
        if (isInt) st.bind(idx, static_cast<int64_t>(std::stoll(v)));
        else st.bind(idx, v);
    }
    if (withPage) {
        st.bind(idx + 1, extraA);
        st.bind(idx + 2, extraB);
    }
    return st;
}

} // namespace

struct Workspace::Cache {
    std::optional<Statement> insertSample, insertStep, insertSubtask, insertQa, insertCaption, findInstruction, addInstruction;
};

std::string newUid()
{
    static thread_local std::mt19937_64 rng{std::random_device{}() ^
                                            static_cast<uint64_t>(nowMs()) * 0x9E3779B97F4A7C15ull};
    static const char* hex = "0123456789abcdef";
    uint64_t v = rng();
    std::string s(16, '0');
    for (int i = 15; i >= 0; --i, v >>= 4) s[static_cast<size_t>(i)] = hex[v & 15];
    return s;
}

Workspace::Workspace(Workspace&&) noexcept = default;
Workspace& Workspace::operator=(Workspace&&) noexcept = default;
Workspace::~Workspace() = default;

Workspace Workspace::open(const std::string& dir, Mode mode)
{
    const fs::path root(dir), dbPath = root / kDbName;
    std::error_code ec;
    const bool haveDb = fs::exists(dbPath, ec);
    if (!haveDb) {
        if (mode != Mode::Create)
            throw std::runtime_error("no workspace at " + dir + " (no " + kDbName +
                                     "); make one with `embervlm data demo -w DIR` or `embervlm data import -w DIR FILE`");
        fs::create_directories(root / kImagesDir, ec);
        if (ec) throw std::runtime_error("cannot create workspace folder " + dir + ": " + ec.message());
    } else {
        if (!fs::is_regular_file(dbPath, ec)) throw std::runtime_error(dbPath.string() + " is not a file");
        // SQLite would take an empty file for a new database and fill it: a truncated workspace
        // must show as damaged instead.
        const fs::path wal = dbPath.string() + "-wal";
        if (fs::file_size(dbPath, ec) == 0 && !ec && !(fs::exists(wal, ec) && fs::file_size(wal, ec) > 0))
            throw std::runtime_error(dbPath.string() + " is empty (0 bytes): not a workspace database. Move it away to "
                                     "start a new workspace in this folder.");
    }
    const bool writable = mode != Mode::ReadOnly && ::access(root.c_str(), W_OK) == 0 &&
                          (!haveDb || ::access(dbPath.c_str(), W_OK) == 0);
    Workspace w;
    w.dir_ = fs::absolute(dir).lexically_normal().string();
    w.db_ = std::make_unique<Database>((fs::path(w.dir_) / kDbName).string(), 10000, !writable);
    try {
        const int have = userVersion(*w.db_);
        if (!writable && have != schemaVersion())
            throw DbError("workspace " + dir + " has schema version " + std::to_string(have) + " (this build: " +
                          std::to_string(schemaVersion()) + ") and is read-only, so it cannot be " +
                          (have < schemaVersion() ? "upgraded" : "used") + " here");
        if (writable) migrate(*w.db_);
    } catch (const DbError& e) {
        throw DbError(std::string(e.what()).find(dir) != std::string::npos ? e.what() : dir + ": " + e.what());
    }
    w.cache_ = std::make_unique<Cache>();
    if (writable) {
        fs::create_directories(fs::path(w.dir_) / kImagesDir, ec);
        // Once per process and folder: the studio opens its workspace again for each view and job
        // (some on the GUI thread), and what a kill left behind is there from the first open.
        static std::mutex tidiedMutex;
        static std::set<std::string> tidied;
        bool first = false;
        {
            std::lock_guard<std::mutex> lock(tidiedMutex);
            first = tidied.insert(w.dir_).second;
        }
        if (first) {
            try {
                w.tidy();
            } catch (const std::exception&) {
                // Tidying is a courtesy: a workspace that cannot be tidied still opens.
            }
        }
    }
    return w;
}

bool Workspace::readOnly() const { return db_->readOnly(); }

namespace {

// The files tidy() removes: only those older than an hour, as a younger one may belong to a
// write going on now. Counts what it removed into the report.
struct StaleFiles {
    fs::file_time_type cutoff;
    Workspace::TidyReport& rep;
    std::error_code ec;

    bool old(const fs::path& p)
    {
        const auto t = fs::last_write_time(p, ec);
        return !ec && t < cutoff;
    }
    void drop(const fs::path& p)
    {
        const auto n = fs::file_size(p, ec);
        if (fs::remove(p, ec)) {
            rep.files++;
            rep.bytes += ec ? 0 : static_cast<int64_t>(n);
        }
    }
};

std::set<std::string> knownImagePaths(Database& db)
{
    std::set<std::string> known;
    auto st = db.prepare("SELECT path FROM images");
    while (st.step()) known.insert(st.getText(0));
    return known;
}

// Only the store's own files (images/<2 hex>/<sha256>.<ext>, and their temporaries): the
// studio keeps the user's pictures at the top of images/ and they are not the store's.
bool isStoreFile(const fs::path& p)
{
    const std::string dirName = p.parent_path().filename().string(), name = p.filename().string();
    auto hex = [](const std::string& t) {
        return std::all_of(t.begin(), t.end(), [](unsigned char c) { return std::isxdigit(c); });
    };
    return dirName.size() == 2 && hex(dirName) && name.size() > 64 && hex(name.substr(0, 64)) && name[64] == '.';
}

// Image files: kept when a row names them.
void tidyImages(const std::string& dir, const std::set<std::string>& known, StaleFiles& stale)
{
    std::error_code& ec = stale.ec;
    const fs::path images = fs::path(dir) / Workspace::kImagesDir;
    if (!fs::is_directory(images, ec)) return;
    for (const auto& sub : fs::directory_iterator(images, ec)) {
        if (!sub.is_directory(ec) || sub.is_symlink(ec)) continue;
        for (const auto& f : fs::directory_iterator(sub.path(), ec)) {
            if (!f.is_regular_file(ec) || f.is_symlink(ec) || !isStoreFile(f.path())) continue;
            const auto rel = fs::relative(f.path(), dir, ec).generic_string();
            if (!known.count(rel) && stale.old(f.path())) stale.drop(f.path());
        }
    }
}

// Checkpoint rows whose file is gone (rotation after a kill, a user's clean-up), and rows that
// an overwritten file left behind.
int64_t dropMissingCheckpoints(Database& db, const std::string& dir, std::error_code& ec)
{
    std::vector<int64_t> gone;
    {
        auto st = db.prepare("SELECT id, path FROM checkpoints");
        while (st.step()) {
            const std::string path = st.getText(1);
            const fs::path abs = fs::path(path).is_absolute() ? fs::path(path) : fs::path(dir) / path;
            if (!fs::exists(abs, ec)) gone.push_back(st.getInt(0));
        }
    }
    int64_t rows = 0;
    for (auto id : gone) {
        auto del = db.prepare("DELETE FROM checkpoints WHERE id=?");
        del.bind(1, id).run();
        rows++;
    }
    // Older workspaces recorded every new best under the one best.safetensors: keep its newest row.
    db.exec("DELETE FROM checkpoints WHERE id NOT IN (SELECT MAX(id) FROM checkpoints GROUP BY run_id, path)");
    return rows + db.changes();
}

// One run folder: checkpoint files that state.json no longer names, and temporary files.
void tidyRun(const fs::path& run, StaleFiles& stale)
{
    std::error_code& ec = stale.ec;
    std::string last, best;
    std::ifstream in(run / "state.json");
    if (!in) return;   // no state: the run never checkpointed, or is starting now
    try {
        const auto j = nlohmann::json::parse(in);
        last = j.value("last", "");
        best = j.value("best", "");
    } catch (const std::exception&) {
        return;
    }
    const std::string stem = last.substr(0, last.find('.'));
    for (const auto& f : fs::directory_iterator(run, ec)) {
        if (!f.is_regular_file(ec) || f.is_symlink(ec)) continue;
        const std::string name = f.path().filename().string();
        const bool tmp = name.find(".tmp") != std::string::npos;
        const bool ckpt = name.rfind("ckpt-", 0) == 0 && name != last && name.rfind(stem + ".", 0) != 0;
        if ((tmp || ckpt) && name != best && stale.old(f.path())) stale.drop(f.path());
    }
}

void tidyRuns(const std::string& dir, StaleFiles& stale)
{
    std::error_code& ec = stale.ec;
    const fs::path runs = fs::path(dir) / "runs";
    if (!fs::is_directory(runs, ec)) return;
    for (const auto& run : fs::directory_iterator(runs, ec)) {
        if (!run.is_directory(ec) || run.is_symlink(ec)) continue;
        tidyRun(run.path(), stale);
    }
}

} // namespace

Workspace::TidyReport Workspace::tidy()
{
    TidyReport rep;
    if (readOnly()) return rep;
    try {
        // A killed bulk write can leave a WAL of hundreds of MB. PASSIVE never waits for another
        // process; journal_size_limit (Database) then truncates the file once it is reset.
        db_->exec("PRAGMA wal_checkpoint(PASSIVE)");
    } catch (const std::exception&) {
    }
    StaleFiles stale{fs::file_time_type::clock::now() - std::chrono::hours(1), rep, {}};
    const std::set<std::string> known = knownImagePaths(*db_);
    tidyImages(dir_, known, stale);
    rep.rows += dropMissingCheckpoints(*db_, dir_, stale.ec);
    tidyRuns(dir_, stale);
    return rep;
}

std::string Workspace::absolutePath(const std::string& relative) const
{
    const fs::path rel(relative);
    auto refuse = [&](const char* why) {
        throw UnsafePathError("path '" + relative + "' in the workspace database " + why + "; refused");
    };
    if (relative.empty()) refuse("is empty");
    if (rel.is_absolute() || rel.has_root_name()) refuse("is absolute");
    for (const auto& part : rel.lexically_normal())
        if (part == "..") refuse("leads out of the workspace");
    const fs::path abs = fs::path(dir_) / rel;
    // A symbolic link inside the workspace may still point out of it.
    std::error_code ec;
    const fs::path real = fs::weakly_canonical(abs, ec);
    const fs::path root = fs::weakly_canonical(dir_, ec);
    if (!ec) {
        const auto r = real.lexically_relative(root);
        if (r.empty() || *r.begin() == "..") refuse("resolves outside the workspace");
    }
    return abs.string();
}

int64_t Workspace::instructionId(const std::string& text)
{
    if (text.empty()) return 0;
    auto& c = *cache_;
    if (!c.findInstruction) c.findInstruction.emplace(db_->prepare("SELECT id FROM instructions WHERE text = ?"));
    c.findInstruction->bind(1, text);
    if (c.findInstruction->step()) {
        const auto id = c.findInstruction->getInt(0);
        c.findInstruction->reset();
        return id;
    }
    c.findInstruction->reset();
    if (!c.addInstruction) c.addInstruction.emplace(db_->prepare("INSERT INTO instructions(text) VALUES(?)"));
    c.addInstruction->bind(1, text).run();
    return db_->lastInsertId();
}

void Workspace::writeChildren(const Sample& s)
{
    auto& c = *cache_;
    if (!c.insertStep) {
        c.insertStep.emplace(db_->prepare("INSERT INTO reasoning_steps(sample_id, position, text) VALUES(?,?,?)"));
        c.insertSubtask.emplace(
            db_->prepare("INSERT INTO subtasks(sample_id, position, text, robot, exec_order) VALUES(?,?,?,?,?)"));
        c.insertQa.emplace(db_->prepare(
            "INSERT INTO qa_pairs(sample_id, position, question, answer, question_id, answer_type, question_type, "
            "human_answers) VALUES(?,?,?,?,?,?,?,?)"));
        c.insertCaption.emplace(db_->prepare("INSERT INTO captions(sample_id, position, text) VALUES(?,?,?)"));
    }
    for (size_t i = 0; i < s.reasoning.size(); ++i)
        c.insertStep->bind(1, s.id).bind(2, static_cast<int64_t>(i)).bind(3, s.reasoning[i]).run();
    for (size_t i = 0; i < s.subtasks.size(); ++i)
        c.insertSubtask->bind(1, s.id)
            .bind(2, static_cast<int64_t>(i))
            .bind(3, s.subtasks[i].text)
            .bind(4, s.subtasks[i].robot)
            .bind(5, s.subtasks[i].order)
            .run();
    for (size_t i = 0; i < s.qa.size(); ++i) {
        const auto& q = s.qa[i];
        c.insertQa->bind(1, s.id)
            .bind(2, static_cast<int64_t>(i))
            .bind(3, q.question)
            .bind(4, q.answer)
            .bind(5, q.questionId)
            .bind(6, q.answerType)
            .bind(7, q.questionType)
            .bind(8, humanAnswersToJson(q.humanAnswers))
            .run();
    }
    for (size_t i = 0; i < s.moreCaptions.size(); ++i)
        c.insertCaption->bind(1, s.id).bind(2, static_cast<int64_t>(i)).bind(3, s.moreCaptions[i]).run();
}

namespace {

// Binds the columns insert and update both write, from parameter `first` on, in this order:
// image_id, task, instruction_id, robot_mask, caption, split, status, source, author, modified,
// derived_from, augmentation, image_decided, scene, extra. Returns the next free index.
int bindEditableColumns(Statement& st, const Sample& s, int64_t instructionId, int first)
{
    int i = first;
    if (s.image.id) st.bind(i++, s.image.id); else st.bindNull(i++);
    st.bind(i++, s.task);
    if (instructionId) st.bind(i++, instructionId); else st.bindNull(i++);
    st.bind(i++, static_cast<int64_t>(robotMask(s.robots)));
    st.bind(i++, s.caption);
    st.bind(i++, toString(s.split));
    st.bind(i++, toString(s.status));
    st.bind(i++, s.source);
    st.bind(i++, s.author);
    st.bind(i++, s.modified);
    if (s.derivedFrom.empty()) st.bindNull(i++); else st.bind(i++, s.derivedFrom);
    st.bind(i++, s.augmentation);
    st.bind(i++, static_cast<int64_t>(s.imageDecided));
    st.bind(i++, sceneToJson(s.scene));
    st.bind(i++, s.extra);
    return i;
}

} // namespace

int64_t Workspace::insertInTransaction(Sample& s)
{
    validate(s);
    s.robots = normalizeRobots(s.robots);
    if (s.uid.empty()) s.uid = newUid();
    const int64_t now = nowMs();
    if (!s.created) s.created = now;
    if (!s.modified) s.modified = s.created;
    auto& c = *cache_;
    if (!c.insertSample)
        c.insertSample.emplace(db_->prepare(
            "INSERT INTO samples(uid, created, image_id, task, instruction_id, robot_mask, caption, split, status, "
            "source, author, modified, derived_from, augmentation, image_decided, scene, extra) "
            "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    auto& st = *c.insertSample;
    const int64_t instr = instructionId(s.instruction);
    st.bind(1, s.uid).bind(2, s.created);
    bindEditableColumns(st, s, instr, 3);
    st.run();
    s.id = db_->lastInsertId();
    writeChildren(s);
    return s.id;
}

int64_t Workspace::insert(Sample& s)
{
    Transaction tx(*db_);
    const auto id = insertInTransaction(s);
    tx.commit();
    return id;
}

void Workspace::insertMany(std::vector<Sample>& samples, const Progress& progress)
{
    Transaction tx(*db_);
    const auto total = static_cast<int64_t>(samples.size());
    for (int64_t i = 0; i < total; ++i) {
        insertInTransaction(samples[static_cast<size_t>(i)]);
        if ((i & 255) == 0) report(progress, i, total);
    }
    tx.commit();
    report(progress, total, total);
}

void Workspace::update(Sample& s)
{
    validate(s);
    s.robots = normalizeRobots(s.robots);
    s.modified = std::max(nowMs(), s.modified + 1);
    Transaction tx(*db_);
    auto st = db_->prepare(
        "UPDATE samples SET image_id=?, task=?, instruction_id=?, robot_mask=?, caption=?, split=?, status=?, source=?, "
        "author=?, modified=?, derived_from=?, augmentation=?, image_decided=?, scene=?, extra=? WHERE id=?");
    const int64_t instr = instructionId(s.instruction);
    const int next = bindEditableColumns(st, s, instr, 1);
    st.bind(next, s.id);
    st.run();
    if (db_->changes() != 1) throw std::invalid_argument("no sample with id " + std::to_string(s.id));
    for (const char* t : {"reasoning_steps", "subtasks", "qa_pairs", "captions"})
        db_->prepare(std::string("DELETE FROM ") + t + " WHERE sample_id=?").bind(1, s.id).run();
    writeChildren(s);
    tx.commit();
}

bool Workspace::remove(int64_t id)
{
    Transaction tx(*db_);
    db_->prepare("DELETE FROM samples WHERE id=?").bind(1, id).run();
    const bool removed = db_->changes() > 0;
    tx.commit();
    return removed;
}

namespace {

// Sets one text column (a fixed name, never user input) on many samples in one transaction.
void setColumnForAll(Database& db, const char* column, const std::string& value, const std::vector<int64_t>& ids)
{
    Transaction tx(db);
    auto st = db.prepare(std::string("UPDATE samples SET ") + column + "=?, modified=? WHERE id=?");
    const auto now = nowMs();
    for (auto id : ids) st.bind(1, value).bind(2, now).bind(3, id).run();
    tx.commit();
}

} // namespace

void Workspace::setSplit(const std::vector<int64_t>& ids, Split split)
{
    setColumnForAll(*db_, "split", toString(split), ids);
}

void Workspace::setStatus(const std::vector<int64_t>& ids, Status status)
{
    setColumnForAll(*db_, "status", toString(status), ids);
}

void Workspace::loadChildren(Sample& s) const
{
    {
        auto st = db_->prepare("SELECT text FROM reasoning_steps WHERE sample_id=? ORDER BY position");
        st.bind(1, s.id);
        while (st.step()) s.reasoning.push_back(st.getText(0));
    }
    {
        auto st = db_->prepare("SELECT text, robot, exec_order FROM subtasks WHERE sample_id=? ORDER BY position");
        st.bind(1, s.id);
        while (st.step())
            s.subtasks.push_back({st.getText(0), static_cast<int>(st.getInt(1)), static_cast<int>(st.getInt(2))});
    }
    {
        auto st = db_->prepare("SELECT question, answer, question_id, answer_type, question_type, human_answers "
                               "FROM qa_pairs WHERE sample_id=? ORDER BY position");
        st.bind(1, s.id);
        while (st.step()) {
            QaPair q;
            q.question = st.getText(0);
            q.answer = st.getText(1);
            q.questionId = st.getInt(2);
            q.answerType = st.getText(3);
            q.questionType = st.getText(4);
            q.humanAnswers = humanAnswersFromJson(st.getText(5));
            s.qa.push_back(std::move(q));
        }
    }
    {
        auto st = db_->prepare("SELECT text FROM captions WHERE sample_id=? ORDER BY position");
        st.bind(1, s.id);
        while (st.step()) s.moreCaptions.push_back(st.getText(0));
    }
}

Sample Workspace::readSampleRow(Statement& st) const
{
    Sample s;
    s.id = st.getInt(0);
    s.uid = st.getText(1);
    s.task = st.getText(2);
    s.instruction = st.getText(3);
    s.robots = robotsFromMask(static_cast<uint32_t>(st.getInt(4)));
    s.caption = st.getText(5);
    s.split = splitFromString(st.getText(6));
    s.status = statusFromString(st.getText(7));
    s.source = st.getText(8);
    s.author = st.getText(9);
    s.created = st.getInt(10);
    s.modified = st.getInt(11);
    s.derivedFrom = st.getText(12);
    s.augmentation = st.getText(13);
    if (!st.isNull(14)) {
        s.image.id = st.getInt(14);
        s.image.hash = st.getText(15);
        s.image.path = st.getText(16);
        s.image.width = static_cast<int>(st.getInt(17));
        s.image.height = static_cast<int>(st.getInt(18));
        s.image.bytes = st.getInt(19);
    }
    s.imageDecided = st.getInt(20) != 0;
    s.scene = sceneFromJson(st.getText(21));
    s.extra = st.getText(22);
    return s;
}

namespace {
const char* kFullSelect =
    "SELECT s.id, s.uid, s.task, COALESCE(n.text, ''), s.robot_mask, s.caption, s.split, s.status, s.source, "
    "s.author, s.created, s.modified, COALESCE(s.derived_from, ''), s.augmentation, i.id, i.hash, i.path, i.width, "
    "i.height, i.bytes, s.image_decided, s.scene, s.extra FROM samples s LEFT JOIN images i ON i.id = s.image_id "
    "LEFT JOIN instructions n ON n.id = s.instruction_id ";
}

std::optional<Sample> Workspace::get(int64_t id) const
{
    auto st = db_->prepare(std::string(kFullSelect) + "WHERE s.id = ?");
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    Sample s = readSampleRow(st);
    loadChildren(s);
    return s;
}

std::optional<Sample> Workspace::getByUid(const std::string& uid) const
{
    auto st = db_->prepare(std::string(kFullSelect) + "WHERE s.uid = ?");
    st.bind(1, uid);
    if (!st.step()) return std::nullopt;
    Sample s = readSampleRow(st);
    loadChildren(s);
    return s;
}

std::vector<SampleRow> Workspace::query(const SampleQuery& q) const
{
    const auto w = buildWhere(q);
    std::string order;
    switch (q.sort) {
    case SampleQuery::Sort::Id: order = "s.id"; break;
    case SampleQuery::Sort::Created: order = "s.created"; break;
    case SampleQuery::Sort::Modified: order = "s.modified"; break;
    case SampleQuery::Sort::Task: order = "s.task COLLATE NOCASE"; break;
    }
    const char* dir = q.descending ? " DESC" : "";
    // id as the tie-breaker keeps pages stable when sort keys repeat.
    std::string sql = std::string("SELECT ") + kSampleColumns +
                      " FROM samples s LEFT JOIN images i ON i.id = s.image_id" + w.sql + " ORDER BY " + order + dir +
                      (q.sort == SampleQuery::Sort::Id ? "" : std::string(", s.id") + dir) + " LIMIT ? OFFSET ?";
    auto st = prepareWith(*db_, sql, w, q.limit, std::max<int64_t>(0, q.offset), true);
    std::vector<SampleRow> rows;
    while (st.step()) {
        SampleRow r;
        r.id = st.getInt(0);
        r.uid = st.getText(1);
        r.task = st.getText(2);
        r.caption = st.getText(3);
        r.robots = robotsFromMask(static_cast<uint32_t>(st.getInt(4)));
        r.split = splitFromString(st.getText(5));
        r.status = statusFromString(st.getText(6));
        r.source = st.getText(7);
        r.imageId = st.getInt(8);
        r.imagePath = st.getText(9);
        r.modified = st.getInt(10);
        r.derivedFrom = st.getText(11);
        rows.push_back(std::move(r));
    }
    return rows;
}

int64_t Workspace::count(const SampleQuery& q) const
{
    const auto w = buildWhere(q);
    auto st = prepareWith(*db_, "SELECT COUNT(*) FROM samples s" + w.sql, w);
    st.step();
    return st.getInt(0);
}

std::vector<int64_t> Workspace::ids(const SampleQuery& q) const
{
    const auto w = buildWhere(q);
    auto st = prepareWith(*db_, "SELECT s.id FROM samples s" + w.sql + " ORDER BY s.id LIMIT ? OFFSET ?", w, q.limit,
                          std::max<int64_t>(0, q.offset), true);
    std::vector<int64_t> out;
    while (st.step()) out.push_back(st.getInt(0));
    return out;
}

std::vector<int64_t> Workspace::labelHistogram(const SampleQuery& q) const
{
    const auto w = buildWhere(q);
    std::string sql = "SELECT ";
    for (int r = 0; r < robotCount(); ++r)
        sql += (r ? ", " : "") + std::string("COALESCE(SUM((s.robot_mask >> ") + std::to_string(r) + ") & 1), 0)";
    auto st = prepareWith(*db_, sql + " FROM samples s" + w.sql, w);
    st.step();
    std::vector<int64_t> h(static_cast<size_t>(robotCount()));
    for (int r = 0; r < robotCount(); ++r) h[static_cast<size_t>(r)] = st.getInt(r);
    return h;
}

std::array<int64_t, 4> Workspace::splitCounts() const
{
    std::array<int64_t, 4> c{};
    auto st = db_->prepare("SELECT split, COUNT(*) FROM samples GROUP BY split");
    while (st.step()) c[static_cast<size_t>(splitFromString(st.getText(0)))] = st.getInt(1);
    return c;
}

// --- images ----------------------------------------------------------------------------------

StoredImage Workspace::storeImageFile(const std::string& path, const std::string& expectedSha256)
{
    const auto bytes = ember::readImageFileBytes(path);   // regular files only: never a FIFO or /dev/zero
    if (!expectedSha256.empty()) {
        std::string want = expectedSha256;
        std::transform(want.begin(), want.end(), want.begin(), [](unsigned char c) { return std::tolower(c); });
        const std::string have = sha256Hex(bytes.data(), bytes.size());
        if (have != want)
            throw ember::ImageError(path + ": content does not match its sha256 (expected " + want.substr(0, 12) +
                                    "…, the file has " + have.substr(0, 12) + "…)");
    }
    try {
        return storeImageBytes(bytes, lowerExt(path));
    } catch (const ember::ImageError& e) {
        throw ember::ImageError(path + ": " + e.what());
    }
}

StoredImage Workspace::storeImageBytes(const std::vector<uint8_t>& bytes, const std::string& extIn)
{
    const std::string hash = sha256Hex(bytes.data(), bytes.size());
    if (auto known = imageByHash(hash)) return {*known, false};
    if (bytes.empty()) throw ember::ImageError("empty image file");
    // The decoder the model and the views use: the stored size and the thumbnail are upright
    // (EXIF orientation), a GIF's first frame, alpha on white; a truncated file is refused.
    const ember::RgbImage decoded = ember::decodeImage(bytes.data(), bytes.size(), "");
    const cv::Mat img(decoded.height, decoded.width, CV_8UC3, const_cast<uint8_t*>(decoded.rgb.data()));
    std::string ext = extIn.empty() ? "png" : extIn;
    if (ext == "jpeg") ext = "jpg";
    const std::string rel = std::string(kImagesDir) + "/" + hash.substr(0, 2) + "/" + hash + "." + ext;
    const fs::path abs = fs::path(dir_) / rel;
    bool newFile = false;
    if (!fs::exists(abs)) {
        fs::create_directories(abs.parent_path());
        // Write then rename: a killed process never leaves a half-written image under its hash,
        // and a full disk is named as the cause.
        ember::writeFileAtomic(abs.string(), bytes.data(), bytes.size());
        newFile = true;
    }
    cv::Mat thumb;
    const double scale = static_cast<double>(kThumbnailSide) / std::max(img.cols, img.rows);
    cv::resize(img, thumb, cv::Size(), std::min(1.0, scale), std::min(1.0, scale), cv::INTER_AREA);
    cv::cvtColor(thumb, thumb, cv::COLOR_RGB2BGR);
    std::vector<uint8_t> jpeg;
    cv::imencode(".jpg", thumb, jpeg, {cv::IMWRITE_JPEG_QUALITY, 80});

    ImageInfo info;
    info.hash = hash;
    info.path = rel;
    info.width = img.cols;
    info.height = img.rows;
    info.bytes = static_cast<int64_t>(bytes.size());
    auto st = db_->prepare("INSERT INTO images(hash, path, width, height, bytes, thumbnail, created) VALUES(?,?,?,?,?,?,?)");
    st.bind(1, hash).bind(2, rel).bind(3, info.width).bind(4, info.height).bind(5, info.bytes).bindBlob(6, jpeg).bind(7, nowMs());
    st.run();
    info.id = db_->lastInsertId();
    return {info, newFile};
}

namespace {
ImageInfo readImage(Statement& st)
{
    ImageInfo i;
    i.id = st.getInt(0);
    i.hash = st.getText(1);
    i.path = st.getText(2);
    i.width = static_cast<int>(st.getInt(3));
    i.height = static_cast<int>(st.getInt(4));
    i.bytes = st.getInt(5);
    return i;
}
} // namespace

std::optional<ImageInfo> Workspace::image(int64_t imageId) const
{
    auto st = db_->prepare("SELECT id, hash, path, width, height, bytes FROM images WHERE id=?");
    st.bind(1, imageId);
    if (!st.step()) return std::nullopt;
    return readImage(st);
}

std::optional<ImageInfo> Workspace::imageByHash(const std::string& hash) const
{
    auto st = db_->prepare("SELECT id, hash, path, width, height, bytes FROM images WHERE hash=?");
    st.bind(1, hash);
    if (!st.step()) return std::nullopt;
    return readImage(st);
}

std::vector<uint8_t> Workspace::thumbnail(int64_t imageId) const
{
    auto st = db_->prepare("SELECT thumbnail FROM images WHERE id=?");
    st.bind(1, imageId);
    return st.step() ? st.getBlob(0) : std::vector<uint8_t>();
}

int64_t Workspace::imageCount() const
{
    auto st = db_->prepare("SELECT COUNT(*) FROM images");
    st.step();
    return st.getInt(0);
}

// --- runs ------------------------------------------------------------------------------------

int64_t Workspace::createRun(RunInfo& r)
{
    if (!r.created) r.created = nowMs();
    auto st = db_->prepare(
        "INSERT INTO runs(name, stage, config, seed, status, created, started, finished, notes) VALUES(?,?,?,?,?,?,?,?,?)");
    st.bind(1, r.name).bind(2, r.stage).bind(3, r.config).bind(4, r.seed).bind(5, std::string(toString(r.status))).bind(6, r.created);
    if (r.started) st.bind(7, r.started); else st.bindNull(7);
    if (r.finished) st.bind(8, r.finished); else st.bindNull(8);
    st.bind(9, r.notes).run();
    r.id = db_->lastInsertId();
    return r.id;
}

void Workspace::updateRun(const RunInfo& r)
{
    auto st = db_->prepare(
        "UPDATE runs SET name=?, stage=?, config=?, seed=?, status=?, started=?, finished=?, notes=? WHERE id=?");
    st.bind(1, r.name).bind(2, r.stage).bind(3, r.config).bind(4, r.seed).bind(5, std::string(toString(r.status)));
    if (r.started) st.bind(6, r.started); else st.bindNull(6);
    if (r.finished) st.bind(7, r.finished); else st.bindNull(7);
    st.bind(8, r.notes).bind(9, r.id).run();
    if (db_->changes() != 1) throw std::invalid_argument("no run with id " + std::to_string(r.id));
}

namespace {
RunInfo readRun(Statement& st)
{
    RunInfo r;
    r.id = st.getInt(0);
    r.name = st.getText(1);
    r.stage = static_cast<int>(st.getInt(2));
    r.config = st.getText(3);
    r.seed = st.getInt(4);
    r.status = runStatusFromString(st.getText(5));
    r.created = st.getInt(6);
    r.started = st.getInt(7);
    r.finished = st.getInt(8);
    r.notes = st.getText(9);
    return r;
}
constexpr const char* kRunSelect = "SELECT id, name, stage, config, seed, status, created, started, finished, notes FROM runs";
} // namespace

std::optional<RunInfo> Workspace::run(int64_t id) const
{
    auto st = db_->prepare(std::string(kRunSelect) + " WHERE id=?");
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    return readRun(st);
}

std::vector<RunInfo> Workspace::runs() const
{
    auto st = db_->prepare(std::string(kRunSelect) + " ORDER BY id");
    std::vector<RunInfo> out;
    while (st.step()) out.push_back(readRun(st));
    return out;
}

void Workspace::addMetric(int64_t runId, const std::string& name, int64_t step, double value)
{
    addMetrics(runId, step, {{name, value}});
}

void Workspace::addMetrics(int64_t runId, int64_t step, const std::vector<std::pair<std::string, double>>& values)
{
    Transaction tx(*db_);
    auto st = db_->prepare("INSERT OR REPLACE INTO metrics(run_id, name, step, value, time) VALUES(?,?,?,?,?)");
    const auto now = nowMs();
    for (const auto& [name, v] : values) st.bind(1, runId).bind(2, name).bind(3, step).bind(4, v).bind(5, now).run();
    tx.commit();
}

std::vector<MetricPoint> Workspace::metrics(int64_t runId, const std::string& name, int64_t fromStep) const
{
    auto st = db_->prepare("SELECT step, value, time FROM metrics WHERE run_id=? AND name=? AND step>=? ORDER BY step");
    st.bind(1, runId).bind(2, name).bind(3, fromStep);
    std::vector<MetricPoint> out;
    while (st.step()) out.push_back({st.getInt(0), st.getDouble(1), st.getInt(2)});
    return out;
}

std::vector<std::string> Workspace::metricNames(int64_t runId) const
{
    auto st = db_->prepare("SELECT DISTINCT name FROM metrics WHERE run_id=? ORDER BY name");
    st.bind(1, runId);
    std::vector<std::string> out;
    while (st.step()) out.push_back(st.getText(0));
    return out;
}

int64_t Workspace::addCheckpoint(CheckpointInfo& c)
{
    if (!c.created) c.created = nowMs();
    Transaction tx(*db_);
    if (c.isBest)   // one best checkpoint per run
        db_->prepare("UPDATE checkpoints SET is_best=0 WHERE run_id=?").bind(1, c.runId).run();
    removeCheckpoint(c.runId, c.path);
    db_->prepare("INSERT INTO checkpoints(run_id, step, path, metrics, is_best, created) VALUES(?,?,?,?,?,?)")
        .bind(1, c.runId)
        .bind(2, c.step)
        .bind(3, c.path)
        .bind(4, c.metrics)
        .bind(5, c.isBest ? 1 : 0)
        .bind(6, c.created)
        .run();
    c.id = db_->lastInsertId();
    tx.commit();
    return c.id;
}

void Workspace::removeCheckpoint(int64_t runId, const std::string& path)
{
    db_->prepare("DELETE FROM checkpoints WHERE run_id=? AND path=?").bind(1, runId).bind(2, path).run();
}

std::vector<CheckpointInfo> Workspace::checkpoints(int64_t runId) const
{
    auto st = db_->prepare(
        "SELECT id, run_id, step, path, metrics, is_best, created FROM checkpoints WHERE run_id=? ORDER BY step, id");
    st.bind(1, runId);
    std::vector<CheckpointInfo> out;
    while (st.step())
        out.push_back({st.getInt(0), st.getInt(1), st.getInt(2), st.getText(3), st.getText(4), st.getInt(5) != 0,
                       st.getInt(6)});
    return out;
}

} // namespace ember::data
