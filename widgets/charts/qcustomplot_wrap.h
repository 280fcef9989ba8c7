#pragma once
// QCustomPlot uses Qt's bare `signals`/`slots`/`emit`/`foreach` keywords, which this build turns off
// (QT_NO_KEYWORDS, because LibTorch uses `slots` as an identifier). Include it only through here.
#define signals Q_SIGNALS
#define slots Q_SLOTS
#define emit Q_EMIT
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef signals
#undef slots
#undef emit
#undef foreach
