#pragma once
// The loop of one training run, in named steps: set-up (the run record, model, data, optimizer,
// losses), one optimisation step, validation, checkpoint, and the three ways a run ends
// (finished, stopped, failed). runTraining() (trainer.h) is Trainer(options).run(). Internal (torch).
#include "batches.h"
#include "distributed.h"
#include "fused_ops.h"
#include "parameter_groups.h"
#include "progress_log.h"
#include "rehearsal.h"
#include "run_state.h"
#include "schedule.h"
#include "stage_loss.h"
#include "teacher_file.h"
#include "trainer.h"
#include "workspace.h"

#include <map>
#include <memory>


namespace ember::train {

class Trainer {
public:
    explicit Trainer(const TrainerOptions& options);
    ~Trainer();
    // Set-up errors throw (and mark a new run record failed); errors once training has begun end
    // the run as Failed with a message.
    TrainResult run();

private:
    // What one optimizer step adds up over its micro-batches.
    struct StepTotals {
        double loss = 0;
        std::map<std::string, double> parts;
        int64_t answered = 0, correct = 0, samples = 0;
        double dataMs = 0, forwardMs = 0, backwardMs = 0, rehearsalMs = 0, optimizerMs = 0;
        double gradNorm = 0;
    };

    // --- set-up ---
    void setUp();
    void openRun();
    void lockRun();
    void markSetUpFailed() noexcept;
    void buildModel();
    void buildData();
    void buildSceneHead();
    void buildOptimizer();
    void buildLosses();
    void begin();

    // --- the loop ---
    int phaseAt(int64_t step) const;
    void step();
    void microBatch(int phase, bool frozenVision, StepTotals& t);
    void rehearse(bool frozenVision, StepTotals& t);
    double clipGradients(StepTotals& t);
    void report(const StepTotals& t, int phase);
    bool sliceForRank(data::Batch& batch) const;
    double validate(int phase, bool frozenVision);
    void saveCheckpoint(bool best);
    void removeCheckpointFiles(const std::string& name) const;
    void recordCheckpoint(bool best, const std::string& name);
    std::string workspacePath(const std::string& name) const;

    // --- the end ---
    TrainResult stopHere();
    TrainResult fail(const std::exception& e);
    TrainResult finish();
    // A file of this run, through the workspace's containment check: the run folder may not be a
    // link leading out of runs/ (runs/ itself may be a link, to a bigger disk), nor may a name read
    // from state.json climb out of it. Throws data::UnsafePathError.
    std::string inRunDir(const std::string& name) const
    {
        return data::resolveInWorkspace(o_.workspaceDir, "runs/run-" + std::to_string(run_.id) + "/" + name);
    }

    const TrainerOptions& o_;
    int lockFd_ = -1;   // runs/run-N/lock, held (flock) while this process trains the run
    TrainConfig cfg_;
    const bool lead_;   // rank 0 writes the database and the files
    ProgressLog emit_;
    data::Workspace ws_;
    data::RunInfo run_;
    RunState state_;
    std::string dir_;
    std::chrono::steady_clock::time_point t0_, tLoop_;
    int64_t total_ = 0, startStep_ = 0;
    double lastLoss_ = 0;

    EmberVLM model_{nullptr};
    EmberVLM teacher_{nullptr};
    std::unique_ptr<TeacherFile> teacherFile_;
    torch::Tensor logitScale_;
    std::unique_ptr<DataParallel> dp_;
    data::BatchOptions batchOptions_;
    std::unique_ptr<data::BatchBuilder> batches_, valBatches_;
    Schedule schedule_;
    torch::nn::Linear sceneHead_{nullptr};
    std::vector<int64_t> sceneClasses_;
    ParameterGroups groups_;
    std::unique_ptr<FusedAdamW> optimizer_;
    std::unique_ptr<StageLoss> stageLoss_;
    std::vector<Rehearsal> rehearsals_;
    int64_t vocabulary_ = 0;
};

} // namespace ember::train
