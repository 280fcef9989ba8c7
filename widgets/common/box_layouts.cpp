#include "box_layouts.h"

#include <QHBoxLayout>
#include <QVBoxLayout>

namespace ember::studio {

QVBoxLayout* columnLayout(QWidget* owner, const QMargins& margins, int spacing)
{
    auto* column = new QVBoxLayout(owner);
    column->setContentsMargins(margins);
    if (spacing >= 0)
        column->setSpacing(spacing);
    return column;
}

QHBoxLayout* rowLayout(int spacing)
{
    auto* row = new QHBoxLayout;
    row->setSpacing(spacing);
    return row;
}

} // namespace ember::studio
