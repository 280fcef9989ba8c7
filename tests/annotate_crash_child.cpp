// Helper for test_annotate_view's crash tests: opens the Annotate view on a workspace through
// its StoreWorker, says OPEN once the first sample shows, waits for a line on stdin (the parent
// may take the write lock meanwhile), types into the first sample's task field through real key
// events, then leaves the field ("leave") or only waits a second ("pause"), says READY and waits
// to be killed -9 ("halves": half the text, a pause, the rest, then leave).
#include "annotate_view.h"
#include "edit_journal.h"
#include "edit_queue.h"
#include "sample_editor.h"
#include "store_worker.h"

#include <QApplication>
#include <QListView>
#include <QPlainTextEdit>
#include <QTimer>
#include <QtTest>

#include <cstdio>
#include <iostream>
#include <string>

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    if (argc < 4) {
        std::fprintf(stderr, "usage: annotate_crash_child WORKSPACE TEXT leave|pause|halves\n");
        return 2;
    }
    const QString mode = QString::fromUtf8(argv[3]);
    ember::studio::StoreWorker store;
    store.setOpenHook([](ember::data::SampleStore& ws) { ember::studio::replayEditJournal(ws); });
    ember::studio::AnnotateView view(nullptr);
    view.setStore(&store);
    view.resize(1000, 700);
    view.show();
    store.open(QString::fromUtf8(argv[1]));
    auto* poll = new QTimer(&app);
    QObject::connect(poll, &QTimer::timeout, [&] {
        if (!store.isOpen() || !view.settled() || !view.currentId())
            return;
        poll->stop();
        view.goToRow(0);
        std::printf("OPEN\n");
        std::fflush(stdout);
        std::string go;
        std::getline(std::cin, go);   // the parent's go-ahead
        QPlainTextEdit* task = view.editor()->taskEdit();
        task->setFocus();
        task->moveCursor(QTextCursor::End);
        const QString text = QString::fromUtf8(argv[2]);
        if (mode == "halves") {
            // Half, a pause (its batch goes to a store that may be locked), the rest, then leave.
            QTest::keyClicks(task, text.left(text.size() / 2));
            QTest::qWait(ember::studio::EditQueue::kPauseMs + 300);
            QTest::keyClicks(task, text.mid(text.size() / 2));
        } else {
            QTest::keyClicks(task, text);
        }
        if (mode == "leave" || mode == "halves")
            view.listView()->setFocus();   // the write is posted now
        // "pause": nothing more; the edit is on disk one second after the first keystroke.
        const int wait = mode == "pause" ? ember::studio::EditQueue::kMaxDelayMs + 200 : 200;
        QTimer::singleShot(wait, [&view] {
            std::printf("READY %lld\n", static_cast<long long>(view.currentId()));
            std::fflush(stdout);
        });
    });
    poll->start(10);
    return app.exec();   // killed here
}
