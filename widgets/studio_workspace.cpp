#include "studio_workspace.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QLinearGradient>
#include <QPainter>
#include <QPainterPath>
#include <QRandomGenerator>
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
        if (!renderDemoScene().save(path)) {
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

QImage renderDemoScene(int w, int h)
{
    QImage img(w, h, QImage::Format_RGB32);
    QPainter p(&img);
    p.setRenderHint(QPainter::Antialiasing);
    QLinearGradient sky(0, 0, 0, h * 0.6);
    sky.setColorAt(0, QColor(120, 170, 225));
    sky.setColorAt(1, QColor(235, 215, 190));
    p.fillRect(img.rect(), sky);
    // Sun.
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(255, 236, 170));
    p.drawEllipse(QPointF(w * 0.82, h * 0.16), w * 0.05, w * 0.05);
    // Far skyline.
    QRandomGenerator rng(7);
    p.setBrush(QColor(150, 160, 180));
    for (int x = 0; x < w; x += w / 16) {
        const int bh = static_cast<int>(h * (0.25 + 0.2 * rng.generateDouble()));
        p.drawRect(x, h * 0.62 - bh, w / 16 - 4, bh + h);
    }
    // The tall building with its flat roof (the inspection target).
    const QRectF tower(w * 0.28, h * 0.38, w * 0.44, h * 0.7);
    p.setBrush(QColor(96, 96, 110));
    p.drawRect(tower);
    p.setBrush(QColor(150, 145, 140));
    QPolygonF roof({QPointF(tower.left() - w * 0.03, tower.top()), QPointF(tower.right() + w * 0.03, tower.top()),
                    QPointF(tower.right() - w * 0.02, tower.top() - h * 0.06), QPointF(tower.left() + w * 0.02, tower.top() - h * 0.06)});
    p.drawPolygon(roof);
    // Windows.
    for (int r = 0; r < 6; ++r)
        for (int c = 0; c < 6; ++c) {
            const bool lit = rng.bounded(3) == 0;
            p.setBrush(lit ? QColor(250, 220, 130) : QColor(60, 70, 90));
            p.drawRect(QRectF(tower.left() + w * 0.03 + c * w * 0.068, tower.top() + h * 0.05 + r * h * 0.085, w * 0.04,
                              h * 0.05));
        }
    // A crack across the roof.
    QPainterPath crack;
    crack.moveTo(tower.left() + w * 0.08, tower.top() - h * 0.03);
    crack.lineTo(tower.left() + w * 0.14, tower.top() - h * 0.045);
    crack.lineTo(tower.left() + w * 0.19, tower.top() - h * 0.02);
    crack.lineTo(tower.left() + w * 0.26, tower.top() - h * 0.04);
    p.setPen(QPen(QColor(40, 30, 30), 2.5));
    p.setBrush(Qt::NoBrush);
    p.drawPath(crack);
    // A small quadcopter above the roof.
    const QPointF d(w * 0.62, h * 0.2);
    p.setPen(QPen(QColor(30, 30, 35), 3));
    p.drawLine(d + QPointF(-w * 0.04, 0), d + QPointF(w * 0.04, 0));
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(30, 30, 35));
    p.drawRoundedRect(QRectF(d.x() - w * 0.015, d.y() - h * 0.012, w * 0.03, h * 0.03), 3, 3);
    p.setBrush(QColor(200, 60, 50));
    for (double s : {-1.0, 1.0})
        p.drawEllipse(d + QPointF(s * w * 0.045, -h * 0.008), w * 0.022, h * 0.008);
    // Street.
    p.setBrush(QColor(70, 72, 76));
    p.drawRect(QRectF(0, h * 0.92, w, h * 0.08));
    return img;
}

} // namespace ember::studio
