#pragma once
// Two models side by side (View > Compare models): two model slots, the same sentence, each
// slot with its own tokenization, analysis and heatmap, and the views kept in step:
//   - method, scope and style (readability options, shared colour scale) are the same in both;
//     a change in either slot's context is taken over by the other;
//   - the block is chosen for either model; the other shows the block at the same relative depth
//     (relative_layer: round(l * L_B / L_A));
//   - hovering a cell in one heatmap outlines, in the other, the rows and columns (and chips) of
//     the tokens whose byte spans overlap the hovered row's and column's text;
//   - clicking a cell selects, in the other, the pair covering the same text: the last token
//     overlapping the row's span (it has read all of it) and the first overlapping the column's.
//
// Each slot owns an AppContext, so each model has its own engine worker: the two analyses run
// side by side, and a slow model does not hold up the other. The window is independent of the
// main window after it opens (it starts from the main window's model and text).
#include <QWidget>

#include "app/gui/app_context.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace tl::app {

class HeatmapView;
class ModelPicker;
class TokenChips;

class ModelSlot : public QWidget {
  Q_OBJECT
 public:
  ModelSlot(const QString& name, QWidget* parent = nullptr);
  AppContext* context() const { return context_; }
  ModelPicker* picker() const { return picker_; }
  TokenChips* chips() const { return chips_; }
  HeatmapView* heatmap() const { return heatmap_; }
  QLabel* caption() const { return caption_; }
  // Both the forward pass and the cells of the current choice are in.
  bool ready() const { return ready_; }

 signals:
  void readyChanged();

 private:
  AppContext* context_;
  ModelPicker* picker_;
  TokenChips* chips_;
  HeatmapView* heatmap_;
  QLabel* caption_;
  bool ready_ = false;
};

class CompareModelsWindow : public QWidget {
  Q_OBJECT
 public:
  // Slot A starts with `a` (already loaded, e.g. the main window's model; the embedded model when
  // it has none), slot B with the embedded model; both with `text` and the method/scope/block of
  // `choice` (its target is not carried over: token ids belong to one vocabulary).
  explicit CompareModelsWindow(const SessionPtr& a = {}, const QString& text = {},
                               const MapChoice& choice = {}, QWidget* parent = nullptr);

  ModelSlot* slotA() const { return a_; }
  ModelSlot* slotB() const { return b_; }
  QLineEdit* textEdit() const { return text_; }
  QComboBox* methodBox() const { return method_; }
  QComboBox* scopeBox() const { return scope_; }
  QSpinBox* blockBox() const { return block_; }
  QSpinBox* blockBoxB() const { return block_b_; }
  QCheckBox* sharedScaleBox() const { return shared_scale_; }
  QCheckBox* groupWordsBox() const { return group_words_; }

  // The shared choice (also what the controls do).
  void setText(const QString& text);
  void setMethod(const QString& method);
  void setScope(Scope scope);
  void setBlock(int block_of_a);
  void setBlockOfB(int block_of_b);
  void setStyle(const render::HeatmapStyle& style);
  void setSharedScale(bool shared);
  bool ready() const { return a_->ready() && b_->ready(); }
  // A hovered cell (drawn row i, column j; -1 leaves) of `from`: outlines the linked tokens in the
  // other slot. Public for tests; the heatmaps' cellHovered signals call it.
  void linkHover(ModelSlot* from, int i, int j);
  // A clicked cell (drawn row i, column j; -1 clears) of `from`: selects it there and the pair
  // covering the same text in the other slot (none when no token of the other overlaps).
  void linkSelection(ModelSlot* from, int i, int j);

 signals:
  void bothReady();  // both slots have drawn the current text and choice

 private:
  // Pushes choice_ to both slots; `keep` (a slot whose own block was just chosen) keeps its block.
  void pushChoice(ModelSlot* keep = nullptr);
  // A slot's context changed its choice: the other follows.
  void adoptChoice(ModelSlot* from);
  void syncControls();
  void updateCaptions();
  // Tokens of `to` covering the text of drawn row (rows) or column `index` of `from`; empty when
  // that axis is not the sentence's tokens in both maps.
  std::vector<int> linkedTokens(ModelSlot* from, ModelSlot* to, bool rows, int index) const;

  ModelSlot* a_;
  ModelSlot* b_;
  QLineEdit* text_;
  QComboBox* method_;
  QComboBox* scope_;
  QSpinBox* block_;
  QSpinBox* block_b_;
  QCheckBox* row_normalise_;
  QCheckBox* log_scale_;
  QCheckBox* hide_special_;
  QCheckBox* group_words_;
  QCheckBox* shared_scale_;
  QLabel* link_;
  MapChoice choice_;  // as chosen for model A
  bool pushing_ = false;  // pushChoice() is setting the slots' choices
};

}  // namespace tl::app
