#include "answer_bars.h"

namespace ember::studio {

QColor robotColour(int i)
{
    static const QColor c[] = {QColor(66, 133, 244), QColor(0, 150, 170), QColor(171, 71, 188), QColor(239, 108, 0),
                               QColor(124, 179, 66)};
    return c[((i % 5) + 5) % 5];
}

} // namespace ember::studio
