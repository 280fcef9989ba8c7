#pragma once
// The image a view works on, handled once for the Ask and Reasoning views: what its pane shows,
// what the model is given (ImageInput: the encoded bytes and their SHA-256) and where it came
// from. A file (opened, dropped, or named on the clipboard), a pasted image and the open dialog
// all end in changed(); a refused one in refused(message), and the current image stays.
// A file is read, hashed and decoded once, on a pool thread: the decoded pixels feed the pane
// and the engine (ImageInput::decoded), and the GUI thread never reads the disk.
#include "engine_worker.h"

#include <QImage>
#include <QObject>
#include <QString>

class QWidget;

namespace ember::studio {

class ImagePane;

class CurrentImage final : public QObject {
    Q_OBJECT
public:
    // Takes the pane's drops and pastes.
    explicit CurrentImage(ImagePane* pane, QObject* parent = nullptr);

    // Returns at once; changed() or refused() follows. Only the newest request is applied.
    void openFile(const QString& path);
    bool loading() const { return loading_ > 0; }
    bool setPasted(const QImage& image);
    // The open-image dialog, in the current file's folder, else in defaultDir.
    void openDialog(QWidget* parent, const QString& defaultDir);
    void pasteFromClipboard();

    const ImageInput& input() const { return input_; }
    const QString& path() const { return path_; }   // absolute; empty for a pasted image
    bool empty() const { return input_.empty(); }

Q_SIGNALS:
    void aboutToChange();                  // the current image is still in place
    void changed(const QImage& shown);     // the new one is shown and in input()
    void refused(const QString& message);

private:
    void set(const QImage& shown, const ImageInput& input, const QString& path);

    ImagePane* pane_;
    int request_ = 0;
    int loading_ = 0;
    ImageInput input_;
    QString path_;
};

} // namespace ember::studio
