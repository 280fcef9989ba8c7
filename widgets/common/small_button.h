#pragma once
// The push button of the Annotate panels: never the dialog default (Enter belongs to the view's
// actions) and focused by Tab only, so a click leaves the keyboard focus where the user typed.
#include <QString>

class QPushButton;
class QWidget;

namespace ember::studio {

QPushButton* smallButton(const QString& text, const QString& tip, QWidget* parent);

} // namespace ember::studio
