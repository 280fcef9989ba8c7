#pragma once
// Shows the current image scaled to fit, with an optional heat map on top. Accepts image files
// dropped on it and images pasted with Ctrl+V; it only reports them, the owning view decides.
#include <QImage>
#include <QPixmap>
#include <QWidget>

namespace ember::studio {

class ImagePane final : public QWidget {
    Q_OBJECT
public:
    explicit ImagePane(QWidget* parent = nullptr);

    void setImage(const QImage& image);
    const QImage& image() const { return image_; }
    // A rows×cols map in [0,1] drawn stretched over the image, semi-transparent; empty clears it.
    void setHeatMap(const QVector<float>& map, int rows, int cols);
    void clearHeatMap();
    bool hasHeatMap() const { return !heat_.isNull(); }
    void setHeatMapVisible(bool visible);
    void setPlaceholder(const QString& text);

    QSize sizeHint() const override { return {360, 360}; }
    QSize minimumSizeHint() const override { return {160, 160}; }

Q_SIGNALS:
    void fileDropped(const QString& path);
    void imagePasted(const QImage& image);

protected:
    void paintEvent(QPaintEvent*) override;
    void dragEnterEvent(QDragEnterEvent* e) override;
    void dropEvent(QDropEvent* e) override;
    void keyPressEvent(QKeyEvent* e) override;
    void mousePressEvent(QMouseEvent* e) override;

private:
    QRect imageRect() const;

    QImage image_;
    QPixmap scaled_;   // image_ at the size it was last painted
    QImage heat_;
    bool heatVisible_ = true;
    QString placeholder_;
};

// Colour map for heat maps and probabilities: 0 → dark blue, 0.5 → yellow-green, 1 → red.
QColor heatColor(double v, int alpha = 255);

// The open-image dialog the views share; starts in startDir; empty when cancelled.
QString chooseImageFile(QWidget* parent, const QString& startDir);

} // namespace ember::studio
