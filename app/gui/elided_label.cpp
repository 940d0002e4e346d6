#include "app/gui/elided_label.h"

#include <QPainter>

namespace tl::app {

ElidedLabel::ElidedLabel(QWidget* parent) : QWidget(parent) {
  QFont f = font();
  f.setItalic(true);  // a description, not a control
  setFont(f);
  setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
}

void ElidedLabel::setFullText(const QString& text) {
  if (text == full_) return;
  full_ = text;
  setToolTip(text);
  updateGeometry();
  update();
}

QString ElidedLabel::shownText() const { return fontMetrics().elidedText(full_, Qt::ElideRight, width()); }

QSize ElidedLabel::sizeHint() const { return {fontMetrics().horizontalAdvance(full_) + 2, fontMetrics().height()}; }

// Narrow enough that the pickers beside it always win the space; the text elides instead.
QSize ElidedLabel::minimumSizeHint() const { return {fontMetrics().averageCharWidth() * 4, fontMetrics().height()}; }

void ElidedLabel::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.setPen(palette().windowText().color());
  p.drawText(rect(), Qt::AlignLeft | Qt::AlignVCenter, shownText());
}

}  // namespace tl::app
