#include "app/gui/token_chips.h"

#include <QHelpEvent>
#include <QLocale>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollArea>
#include <QToolTip>
#include <algorithm>
#include <cmath>

#include "app/gui/item_models.h"

namespace tl::app {
namespace {
constexpr int kPadX = 5, kPadY = 2, kGapX = 3, kGapY = 4, kMargin = 2;
constexpr int kMaxChipWidth = 220;
}  // namespace

TokenChips::TokenChips(AppContext* context, QWidget* parent) : QWidget(parent), context_(context) {
  setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred);
  connect(context_, &AppContext::encodingChanged, this, [this] {
    texts_.clear();
    highlighted_.clear();
    const auto& labels = context_->tokenLabels();
    const std::size_t shown = std::min(labels.size(), static_cast<std::size_t>(kMaxChips));
    for (std::size_t k = 0; k < shown; ++k) texts_.push_back(chip_text(labels[k]));
    hidden_ = static_cast<int>(labels.size() - shown);
    if (hidden_ > 0) texts_.push_back(tr("+ %1 more tokens").arg(QLocale().toString(hidden_)));
    relayout();
  });
  connect(context_, &AppContext::selectionChanged, this, qOverload<>(&QWidget::update));
}

std::vector<QRect> TokenChips::layoutFor(int width) const {
  std::vector<QRect> rects;
  // Metrics of this widget as a paint device (the screen's DPI), as the painter will use.
  const QFontMetrics fm(font(), this);
  const int h = fm.height() + 2 * kPadY;
  int x = kMargin, y = kMargin;
  for (const QString& t : texts_) {
    // QFontMetrics rounds advances; elidedText() compares the exact width, so leave a pixel.
    const int w = std::min(static_cast<int>(std::ceil(QFontMetricsF(font(), this).horizontalAdvance(t))) + 1 + 2 * kPadX,
                           kMaxChipWidth);
    if (x > kMargin && x + w > width - kMargin) {
      x = kMargin;
      y += h + kGapY;
    }
    rects.emplace_back(x, y, w, h);
    x += w + kGapX;
  }
  return rects;
}

int TokenChips::heightForWidth(int width) const {
  const auto rects = layoutFor(width);
  const QFontMetrics fm(font(), this);
  return rects.empty() ? fm.height() + 2 * kPadY + 2 * kMargin : rects.back().bottom() + 1 + kMargin;
}

int TokenChips::rowPitch() const { return QFontMetrics(font(), this).height() + 2 * kPadY + kGapY; }

QSize TokenChips::sizeHint() const { return {400, heightForWidth(width() > 0 ? width() : 400)}; }
QSize TokenChips::minimumSizeHint() const { return {100, heightForWidth(width() > 0 ? width() : 400)}; }

void TokenChips::relayout() {
  rects_ = layoutFor(width());
  updateGeometry();
  update();
  emit layoutChanged();
}

void TokenChips::resizeEvent(QResizeEvent*) { relayout(); }

void TokenChips::changeEvent(QEvent* event) {
  // The style may change the font after construction (polish): chip widths depend on it.
  if (event->type() == QEvent::FontChange || event->type() == QEvent::StyleChange) relayout();
  QWidget::changeEvent(event);
}

// The "more tokens" chip is the last one when tokens are hidden; it stands for no token.
int TokenChips::chipAt(QPoint pos) const {
  for (std::size_t k = 0; k < rects_.size(); ++k) {
    if (rects_[k].contains(pos)) return static_cast<int>(k);
  }
  return -1;
}

QRect TokenChips::chipRect(int index) const {
  return index >= 0 && index < static_cast<int>(rects_.size()) ? rects_[static_cast<std::size_t>(index)] : QRect();
}

void TokenChips::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.setFont(font());
  p.setRenderHint(QPainter::Antialiasing);
  const QFontMetrics fm(font(), this);
  const auto& special = context_->encoding().special;
  const QColor base = palette().base().color();
  const QColor text = palette().text().color();
  const QColor row_colour(255, 196, 0);     // selected row token (the query)
  const QColor col_colour(90, 170, 255);    // selected column token (the source)
  if (texts_.empty()) {
    p.setPen(palette().placeholderText().color());
    p.drawText(rect().adjusted(kMargin, 0, 0, 0), Qt::AlignLeft | Qt::AlignVCenter, tr("(no tokens)"));
    return;
  }
  for (std::size_t k = 0; k < rects_.size(); ++k) {
    const QRectF r = QRectF(rects_[k]).adjusted(0.5, 0.5, -0.5, -0.5);
    const bool more = hidden_ > 0 && k + 1 == rects_.size();
    const bool is_special = more || (k < special.size() && special[k]);
    QColor fill = is_special ? palette().window().color() : base.darker(106);
    if (!more && static_cast<int>(k) == context_->selectedCol()) fill = col_colour.lighter(150);
    if (!more && static_cast<int>(k) == context_->selectedRow()) fill = row_colour.lighter(140);
    p.setBrush(fill);
    p.setPen(QPen(palette().mid().color(), 1.0, is_special ? Qt::DashLine : Qt::SolidLine));
    p.drawRoundedRect(r, 4, 4);
    if (!more && std::find(highlighted_.begin(), highlighted_.end(), static_cast<int>(k)) != highlighted_.end()) {
      p.setPen(QPen(QColor(0, 200, 100), 2.0));
      p.setBrush(Qt::NoBrush);
      p.drawRoundedRect(r.adjusted(1, 1, -1, -1), 4, 4);
    }
    p.setPen(is_special ? palette().placeholderText().color() : text);
    // Elide against the laid-out width (the outline rect above is inset by half a pixel).
    const QRect text_rect = rects_[k].adjusted(kPadX, 0, -kPadX, 0);
    p.drawText(text_rect, Qt::AlignCenter, fm.elidedText(texts_[k], Qt::ElideRight, text_rect.width()));
  }
}

void TokenChips::setHighlighted(std::vector<int> tokens) {
  if (tokens == highlighted_) return;
  highlighted_ = std::move(tokens);
  update();
}

void TokenChips::mousePressEvent(QMouseEvent* event) {
  const int k = chipAt(event->position().toPoint());
  if (k < 0 || (hidden_ > 0 && k == chipCount() - 1)) return;  // the "more" chip selects nothing
  const int j = context_->selectedCol() >= 0 ? context_->selectedCol() : k;
  context_->setSelectedPair(k, j);
}

bool TokenChips::event(QEvent* event) {
  if (event->type() == QEvent::ToolTip) {
    auto* help = static_cast<QHelpEvent*>(event);
    const int k = chipAt(help->pos());
    const auto& e = context_->encoding();
    if (hidden_ > 0 && k == chipCount() - 1) {
      QToolTip::showText(help->globalPos(),
                         tr("The text has %1 tokens; chips show the first %2.").arg(e.size()).arg(chipCount() - 1), this,
                         chipRect(k));
    } else if (k >= 0 && k < static_cast<int>(e.size())) {
      const auto idx = static_cast<std::size_t>(k);
      QToolTip::showText(help->globalPos(),
                         tr("token %1 \u00b7 id %2 \u00b7 piece \u201c%3\u201d \u00b7 bytes %4..%5%6")
                             .arg(k)
                             .arg(e.ids[idx])
                             .arg(QString::fromStdString(e.tokens[idx]).toHtmlEscaped())
                             .arg(e.spans[idx].first)
                             .arg(e.spans[idx].second)
                             .arg(e.special[idx] ? tr(" \u00b7 special") : QString()),
                         this, chipRect(k));
    } else {
      QToolTip::hideText();
    }
    return true;
  }
  return QWidget::event(event);
}

QScrollArea* make_chip_band(AppContext* context, int max_rows, QWidget* parent, TokenChips** chips) {
  auto* scroll = new QScrollArea(parent);
  auto* band = new TokenChips(context, scroll);
  scroll->setWidget(band);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  scroll->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
  auto fit = [band, scroll, max_rows] {
    const int wanted = band->heightForWidth(std::max(1, scroll->viewport()->width()));
    scroll->setFixedHeight(std::min(wanted, band->rowPitch() * max_rows));
  };
  QObject::connect(context, &AppContext::encodingChanged, scroll, fit, Qt::QueuedConnection);
  QObject::connect(band, &TokenChips::layoutChanged, scroll, fit, Qt::QueuedConnection);
  *chips = band;
  return scroll;
}

}  // namespace tl::app
