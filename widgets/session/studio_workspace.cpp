#include "studio_workspace.h"

#include "studio_resources.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSaveFile>
#include <QStandardPaths>

namespace ember::studio {

StudioWorkspace::StudioWorkspace(const QString& dir)
    : dir_(QDir(dir).absolutePath())
{
}

QString StudioWorkspace::imagesDir() const { return dir_ + "/images"; }
QString StudioWorkspace::modelsDir() const { return dir_ + "/models"; }
QString StudioWorkspace::conversationsDir() const { return dir_ + "/conversations"; }
QString StudioWorkspace::exportsDir() const { return dir_ + "/exports"; }

QString StudioWorkspace::defaultLocation()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + "/default-workspace";
}

bool StudioWorkspace::ensureLayout(QString* error)
{
    for (const QString& d : {dir_, imagesDir(), modelsDir(), conversationsDir()})
        if (!QDir().mkpath(d)) {
            if (error)
                *error = QObject::tr("cannot create folder %1").arg(d);
            return false;
        }
    if (firstImage().isEmpty()) {
        const QString path = imagesDir() + "/demo-rooftop.png";
        if (!demoSceneImage().save(path)) {
            if (error)
                *error = QObject::tr("cannot write %1").arg(path);
            return false;
        }
    }
    return true;
}

QString StudioWorkspace::firstImage() const
{
    const auto files = QDir(imagesDir()).entryInfoList({"*.png", "*.jpg", "*.jpeg", "*.bmp", "*.webp"}, QDir::Files, QDir::Name);
    return files.isEmpty() ? QString() : files.first().absoluteFilePath();
}

QString StudioWorkspace::firstCheckpoint() const
{
    const auto files = QDir(modelsDir()).entryInfoList({"*.safetensors"}, QDir::Files, QDir::Time);
    return files.isEmpty() ? QString() : files.first().absoluteFilePath();
}

QString StudioWorkspace::conversationPath(const QString& sha) const { return conversationsDir() + "/" + sha + ".json"; }

QJsonObject StudioWorkspace::loadConversation(const QString& sha) const
{
    QFile f(conversationPath(sha));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

bool StudioWorkspace::saveConversation(const QString& sha, const QJsonObject& conversation) const
{
    QDir().mkpath(conversationsDir());
    QSaveFile f(conversationPath(sha));
    if (!f.open(QIODevice::WriteOnly))
        return false;
    f.write(QJsonDocument(conversation).toJson(QJsonDocument::Indented));
    return f.commit();
}

} // namespace ember::studio
