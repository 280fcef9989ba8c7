#pragma once
// The studio's own resources (resources/studio.qrc): view and action icons, the application
// icon, the default workspace's demo image.
#include <QIcon>
#include <QImage>
#include <QString>

namespace ember::studio {

QIcon studioIcon(const QString& name);   // resources/icons/<name>.svg
QIcon applicationIcon();
QImage demoSceneImage();                 // resources/images/demo-scene.jpg

} // namespace ember::studio
