#pragma once
// ElidedLabel: one line of text that ends in "…" when the widget is narrower than the text, with
// the full text as its tooltip. For descriptions beside controls (the method's one-line
// description next to the pickers), where a QLabel would be cut off mid-word at the window edge
// or push the controls off screen.
#include <QWidget>

namespace tl::app {

class ElidedLabel : public QWidget {
  Q_OBJECT
 public:
  explicit ElidedLabel(QWidget* parent = nullptr);

  // The text and the tooltip.
  void setFullText(const QString& text);
  const QString& fullText() const { return full_; }
  // What is drawn at the current width (the full text when it fits).
  QString shownText() const;

  QSize sizeHint() const override;
  QSize minimumSizeHint() const override;

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  QString full_;
};

}  // namespace tl::app
