#pragma once
// Hooks between the views and a dataset store. The studio's views only know these interfaces;
// the main window connects them to the workspace's datasets when a store is available.
#include <QImage>
#include <QString>
#include <QStringList>

#include <optional>

namespace ember::studio {

// A draft sample made in the Ask view: the image shown, the question and the model's answer.
struct DraftSample {
    QString imagePath;     // file the image came from (may be empty for pasted images)
    QByteArray imageBytes; // encoded image (the file's bytes, or PNG for pasted images)
    QString imageSha256;
    QString question;
    QString answer;
};

class SampleSink {
public:
    virtual ~SampleSink() = default;
    // Returns an empty string on success, else a message for the user.
    virtual QString addDraftSample(const DraftSample& sample) = 0;
};

// Where the Reasoning view takes a task (and image) from an existing dataset sample.
struct TaskSample {
    QString task;
    QString imagePath;
    QString id;
};

class SampleSource {
public:
    virtual ~SampleSource() = default;
    // Lets the user pick a sample (may show a dialog); std::nullopt when cancelled.
    virtual std::optional<TaskSample> pickTaskSample(QWidget* parent) = 0;
};

} // namespace ember::studio
