#pragma once
// The views are built from panels: a widget with a vertical column, or a row of controls, each with
// its margins and spacing. One call makes each, so the builders read as what they lay out.
#include <QMargins>

class QHBoxLayout;
class QVBoxLayout;
class QWidget;

namespace ember::studio {

// A column laid over owner; spacing < 0 keeps the style's.
QVBoxLayout* columnLayout(QWidget* owner, const QMargins& margins, int spacing = -1);
// A row to nest in another layout.
QHBoxLayout* rowLayout(int spacing = 6);

} // namespace ember::studio
