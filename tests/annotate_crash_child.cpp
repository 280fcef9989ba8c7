// Helper for test_annotate_view's crash test: opens the Annotate view on a workspace, types into
// the first sample's task field through real key events, says READY and waits to be killed -9.
#include "annotate_view.h"
#include "sample_editor.h"

#include <QApplication>
#include <QPlainTextEdit>
#include <QTimer>
#include <QtTest>

#include <cstdio>

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    if (argc < 3) {
        std::fprintf(stderr, "usage: annotate_crash_child WORKSPACE TEXT\n");
        return 2;
    }
    auto ws = ember::data::Workspace::open(argv[1]);
    ember::studio::AnnotateView view(nullptr);
    view.setWorkspace(&ws);
    view.resize(1000, 700);
    view.show();
    QTimer::singleShot(0, [&] {
        view.goToRow(0);
        QPlainTextEdit* task = view.editor()->taskEdit();
        task->setFocus();
        task->moveCursor(QTextCursor::End);
        QTest::keyClicks(task, QString::fromUtf8(argv[2]));
        std::printf("READY %lld\n", static_cast<long long>(view.currentId()));
        std::fflush(stdout);
    });
    return app.exec();   // killed here
}
