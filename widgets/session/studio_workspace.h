#pragma once
// A workspace as the studio's views see it: a folder with images/, models/ and conversations/.
// (The datasets store, <workspace>/workspace.db, is wired in by the main window when present.)
#include <QImage>
#include <QJsonObject>
#include <QString>

namespace ember::studio {

class StudioWorkspace {
public:
    StudioWorkspace() = default;
    explicit StudioWorkspace(const QString& dir);

    bool isValid() const { return !dir_.isEmpty(); }
    QString dir() const { return dir_; }
    QString imagesDir() const;
    QString modelsDir() const;
    QString conversationsDir() const;
    QString exportsDir() const;

    // Creates the folders; when the workspace has no images, writes the demo scene (a demo-world
    // rooftop, resources/images/demo-scene.jpg) as images/demo-rooftop.png. Returns false (with
    // a message) when the folder cannot be written.
    bool ensureLayout(QString* error = nullptr);
    QString firstImage() const;         // empty when none
    QString firstCheckpoint() const;    // newest *.safetensors in models/, empty when none
    QString defaultCheckpointPath() const { return modelsDir() + "/random-base.safetensors"; }

    QString conversationPath(const QString& imageSha256) const;
    QJsonObject loadConversation(const QString& imageSha256) const;   // empty when none
    bool saveConversation(const QString& imageSha256, const QJsonObject& conversation) const;

    static QString defaultLocation();   // <AppDataLocation>/default-workspace

private:
    QString dir_;
};

} // namespace ember::studio
