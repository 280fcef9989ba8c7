#pragma once
// Hooks between the views and a dataset store. The studio's views only know these interfaces;
// the main window connects them to the workspace's datasets when a store is available.
#include <QImage>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

class QWidget;

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
    // Stores the sample off the GUI thread; done(error) later, error empty on success. done is
    // not called when the sink goes first.
    virtual void addDraftSample(const DraftSample& sample, std::function<void(const QString& error)> done) = 0;
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
    // Lets the user pick a sample (a dialog); chosen(task) once the sample is read, not at all
    // when the user cancels.
    virtual void pickTaskSample(QWidget* parent, std::function<void(const TaskSample& task)> chosen) = 0;
};

} // namespace ember::studio
