#pragma once
// TokenChips: the tokenization of the current text as a wrapped row of chips, one per token, so
// token boundaries are visible while typing. Spaces inside tokens show as "·"; special tokens are
// drawn dashed. The selected pair of the map highlights its row token (query) and column token
// (source); clicking a chip selects that token's row.
//
// Limits: only the first kMaxChips tokens get a chip; a last chip says how many more there are.
// Laying out chips costs UI time per chip (text measurement at every width change), so a long
// paste would otherwise freeze the window for as long as it has tokens.
#include <QWidget>

class QScrollArea;

#include "app/gui/app_context.h"

namespace tl::app {

class TokenChips : public QWidget {
  Q_OBJECT
 public:
  static constexpr int kMaxChips = 500;

  explicit TokenChips(AppContext* context, QWidget* parent = nullptr);
  // Chips laid out (tokens shown, plus the "+ N more tokens" chip when the text has more).
  int chipCount() const { return static_cast<int>(texts_.size()); }
  // Tokens without a chip (0 when every token has one).
  int hiddenTokens() const { return hidden_; }
  bool hasHeightForWidth() const override { return true; }
  int heightForWidth(int width) const override;
  QSize sizeHint() const override;
  QSize minimumSizeHint() const override;
  // Index of the chip under a widget point, -1 if none (tests).
  int chipAt(QPoint pos) const;
  QRect chipRect(int index) const;
  int rowPitch() const;  // height of one row of chips with the gap below it
  // Chips outlined as linked to something elsewhere (two-model mode: the other model's hovered
  // span); empty clears.
  void setHighlighted(std::vector<int> tokens);
  const std::vector<int>& highlighted() const { return highlighted_; }

 signals:
  void layoutChanged();  // chips were laid out again (new tokens or a new width)

 protected:
  void paintEvent(QPaintEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;
  void changeEvent(QEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  bool event(QEvent* event) override;

 private:
  void relayout();
  std::vector<QRect> layoutFor(int width) const;

  AppContext* context_;
  std::vector<QString> texts_;  // one per token chip, then the "more" chip when hidden_ > 0
  int hidden_ = 0;
  std::vector<QRect> rects_;
  std::vector<int> highlighted_;
};

// The chips of `context` in a scroll band at most `max_rows` chip rows high (long texts scroll
// inside it, so the views below keep their room). Returns the scroll area; *chips gets the chips.
QScrollArea* make_chip_band(AppContext* context, int max_rows, QWidget* parent, TokenChips** chips);

}  // namespace tl::app
