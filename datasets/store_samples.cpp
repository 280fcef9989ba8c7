// Workspace samples: insert, update, remove, get, the list's query/count/ids, histograms.
#include "workspace.h"

#include "workspace_internal.h"

#include "sample_json.h"

#include <algorithm>
#include <random>

namespace ember::data {

namespace {

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

void Workspace::updateMany(std::vector<Sample>& samples)
{
    Transaction tx(*db_);
    for (Sample& s : samples) update(s);
    tx.commit();
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

namespace {
// The list's order: id as the tie-breaker keeps pages stable when sort keys repeat.
std::string orderBy(const SampleQuery& q)
{
    std::string order;
    switch (q.sort) {
    case SampleQuery::Sort::Id: order = "s.id"; break;
    case SampleQuery::Sort::Created: order = "s.created"; break;
    case SampleQuery::Sort::Modified: order = "s.modified"; break;
    case SampleQuery::Sort::Task: order = "s.task COLLATE NOCASE"; break;
    }
    const std::string dir = q.descending ? " DESC" : "";
    return " ORDER BY " + order + dir + (q.sort == SampleQuery::Sort::Id ? "" : ", s.id" + dir);
}
} // namespace

std::vector<SampleRow> Workspace::query(const SampleQuery& q) const
{
    const auto w = buildWhere(q);
    std::string sql = std::string("SELECT ") + kSampleColumns + " FROM samples s LEFT JOIN images i ON i.id = s.image_id" +
                      w.sql + orderBy(q) + " LIMIT ? OFFSET ?";
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
    auto st = prepareWith(*db_, "SELECT s.id FROM samples s" + w.sql + orderBy(q) + " LIMIT ? OFFSET ?", w, q.limit,
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

} // namespace ember::data
