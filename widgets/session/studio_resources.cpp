#include "studio_resources.h"

// The resources live in a static library: without this reference the linker would drop them.
static void initStudioResources()
{
    static const bool done = [] {
        Q_INIT_RESOURCE(studio);
        return true;
    }();
    (void)done;
}

namespace ember::studio {

QIcon studioIcon(const QString& name)
{
    initStudioResources();
    return QIcon(QStringLiteral(":/icons/%1.svg").arg(name));
}

QIcon applicationIcon() { return studioIcon(QStringLiteral("embervlm-studio")); }

QImage demoSceneImage()
{
    initStudioResources();
    return QImage(QStringLiteral(":/images/demo-scene.jpg"));
}

} // namespace ember::studio
