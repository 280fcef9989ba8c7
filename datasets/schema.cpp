#include "schema.h"

#include <iterator>
#include <string>

namespace ember::data {

namespace {

// Append only: a released migration never changes, a schema change is a new entry.
const char* const kMigrations[] = {
    // 1: the first schema.
    R"SQL(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE images(
  id        INTEGER PRIMARY KEY,
  hash      TEXT NOT NULL UNIQUE,          -- SHA-256 of the file's bytes (hex)
  path      TEXT NOT NULL,                 -- relative to the workspace folder
  width     INTEGER NOT NULL,
  height    INTEGER NOT NULL,
  bytes     INTEGER NOT NULL,
  thumbnail BLOB,                          -- JPEG, long side 96 px
  created   INTEGER NOT NULL);

-- The upstream robot catalogue repeats in every record: stored once.
CREATE TABLE instructions(id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);

CREATE TABLE samples(
  id             INTEGER PRIMARY KEY,
  uid            TEXT NOT NULL UNIQUE,
  image_id       INTEGER REFERENCES images(id) ON DELETE RESTRICT,
  task           TEXT NOT NULL DEFAULT '',
  instruction_id INTEGER REFERENCES instructions(id),
  robot_mask     INTEGER NOT NULL DEFAULT 0,   -- bit i: robot label i (MODEL.md order)
  caption        TEXT NOT NULL DEFAULT '',
  split          TEXT NOT NULL DEFAULT '' CHECK(split IN ('', 'train', 'val', 'test')),
  status         TEXT NOT NULL DEFAULT 'draft' CHECK(status IN ('draft', 'reviewed')),
  source         TEXT NOT NULL DEFAULT '',
  author         TEXT NOT NULL DEFAULT '',
  created        INTEGER NOT NULL,
  modified       INTEGER NOT NULL,
  derived_from   TEXT REFERENCES samples(uid) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  augmentation   TEXT NOT NULL DEFAULT '');
CREATE INDEX samples_split ON samples(split);
CREATE INDEX samples_status ON samples(status);
CREATE INDEX samples_created ON samples(created);
CREATE INDEX samples_modified ON samples(modified);
CREATE INDEX samples_task ON samples(task COLLATE NOCASE);
CREATE INDEX samples_image ON samples(image_id);
CREATE INDEX samples_derived ON samples(derived_from);

CREATE TABLE reasoning_steps(
  sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
  position  INTEGER NOT NULL,
  text      TEXT NOT NULL,
  PRIMARY KEY(sample_id, position)) WITHOUT ROWID;

CREATE TABLE subtasks(
  sample_id  INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
  position   INTEGER NOT NULL,
  text       TEXT NOT NULL,
  robot      INTEGER NOT NULL CHECK(robot >= 0 AND robot < 32),
  exec_order INTEGER NOT NULL,
  PRIMARY KEY(sample_id, position)) WITHOUT ROWID;

CREATE TABLE qa_pairs(
  sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
  position  INTEGER NOT NULL,
  question  TEXT NOT NULL,
  answer    TEXT NOT NULL,
  PRIMARY KEY(sample_id, position)) WITHOUT ROWID;

CREATE TABLE runs(
  id       INTEGER PRIMARY KEY,
  name     TEXT NOT NULL,
  stage    INTEGER NOT NULL DEFAULT 0,
  config   TEXT NOT NULL DEFAULT '{}',     -- JSON: model preset/overrides, optimiser, data filter
  seed     INTEGER NOT NULL DEFAULT 0,
  status   TEXT NOT NULL DEFAULT 'created'
           CHECK(status IN ('created', 'running', 'paused', 'finished', 'failed', 'cancelled')),
  created  INTEGER NOT NULL,
  started  INTEGER,
  finished INTEGER,
  notes    TEXT NOT NULL DEFAULT '');

CREATE TABLE metrics(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name   TEXT NOT NULL,                    -- "train/loss", "val/accuracy", ...
  step   INTEGER NOT NULL,
  value  REAL NOT NULL,
  time   INTEGER NOT NULL,
  PRIMARY KEY(run_id, name, step)) WITHOUT ROWID;

CREATE TABLE checkpoints(
  id      INTEGER PRIMARY KEY,
  run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step    INTEGER NOT NULL,
  path    TEXT NOT NULL,                   -- relative to the workspace folder when inside it
  metrics TEXT NOT NULL DEFAULT '{}',      -- JSON snapshot of the metrics at this step
  is_best INTEGER NOT NULL DEFAULT 0,
  created INTEGER NOT NULL);
CREATE INDEX checkpoints_run ON checkpoints(run_id, step);
)SQL",
    // 2: image-decided samples and scene attributes (the grounded demo world).
    R"SQL(
ALTER TABLE samples ADD COLUMN image_decided INTEGER NOT NULL DEFAULT 0;
ALTER TABLE samples ADD COLUMN scene TEXT NOT NULL DEFAULT '';   -- JSON object, attribute -> value
)SQL",
    // 3: practitioners' formats: several reference captions, VQA's human answers, foreign fields.
    R"SQL(
ALTER TABLE samples ADD COLUMN extra TEXT NOT NULL DEFAULT '';   -- JSON object of a foreign format's fields
CREATE TABLE captions(                     -- reference captions after samples.caption
  sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
  position  INTEGER NOT NULL,
  text      TEXT NOT NULL,
  PRIMARY KEY(sample_id, position)) WITHOUT ROWID;
ALTER TABLE qa_pairs ADD COLUMN question_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE qa_pairs ADD COLUMN answer_type TEXT NOT NULL DEFAULT '';
ALTER TABLE qa_pairs ADD COLUMN question_type TEXT NOT NULL DEFAULT '';
ALTER TABLE qa_pairs ADD COLUMN human_answers TEXT NOT NULL DEFAULT '';  -- JSON [{"answer","answer_confidence"}]
)SQL",
};

} // namespace

int schemaVersion() { return static_cast<int>(std::size(kMigrations)); }

int userVersion(Database& db)
{
    auto st = db.prepare("PRAGMA user_version");
    st.step();
    return static_cast<int>(st.getInt(0));
}

void migrate(Database& db)
{
    if (userVersion(db) == schemaVersion())
        return;
    // BEGIN IMMEDIATE: two processes opening a new workspace at once migrate it once.
    Transaction tx(db);
    const int have = userVersion(db);
    if (have > schemaVersion())
        throw DbError("workspace " + db.path() + " has schema version " + std::to_string(have) +
                      ", newer than this build's " + std::to_string(schemaVersion()) + ": update EmberVLM Studio");
    for (int v = have; v < schemaVersion(); ++v)
        db.exec(kMigrations[v]);
    db.exec("PRAGMA user_version=" + std::to_string(schemaVersion()));
    tx.commit();
}

} // namespace ember::data
