#pragma once
// The panels around the heatmap. Each observes the AppContext and changes it through its setters;
// none knows about another.
//   ModelInfoPanel   what the loaded model is (family, sizes, source)
//   SentencePanel    the text box and its live tokenization as chips
//   PredictionsPanel top-k next (or masked) tokens of the current analysis
//   MapControls      method (from the registry), scope, block, head and target pickers, and the
//                    heatmap's readability options
#include <QWidget>

#include "app/gui/app_context.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QPlainTextEdit;
class QSpinBox;
class QTableView;

namespace tl::app {

class ElidedLabel;
class PredictionsModel;
class TokenChips;

class ModelInfoPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ModelInfoPanel(AppContext* context, QWidget* parent = nullptr);
  QString text() const;  // what the panel shows, as plain text (tests)

 private:
  void refresh();
  AppContext* context_;
  QLabel* label_;
};

class SentencePanel : public QWidget {
  Q_OBJECT
 public:
  explicit SentencePanel(AppContext* context, QWidget* parent = nullptr);
  QPlainTextEdit* editor() const { return editor_; }
  TokenChips* chips() const { return chips_; }

 private:
  AppContext* context_;
  QPlainTextEdit* editor_;
  QLabel* count_;
  TokenChips* chips_;
};

class PredictionsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit PredictionsPanel(AppContext* context, QWidget* parent = nullptr);
  PredictionsModel* model() const { return model_; }

 private:
  void refreshHeading();
  AppContext* context_;
  QLabel* heading_;
  PredictionsModel* model_;
  QTableView* table_;
};

class MapControls : public QWidget {
  Q_OBJECT
 public:
  explicit MapControls(AppContext* context, QWidget* parent = nullptr);
  QComboBox* methodBox() const { return method_; }
  QComboBox* scopeBox() const { return scope_; }
  QSpinBox* blockBox() const { return block_; }
  QSpinBox* headBox() const { return head_; }
  QComboBox* targetBox() const { return target_; }
  ElidedLabel* description() const { return description_; }

 private:
  void pushStyle();
  void syncFromContext();
  void fillTargets();
  AppContext* context_;
  QComboBox* method_;
  ElidedLabel* description_;
  QComboBox* scope_;
  QSpinBox* block_;
  QSpinBox* head_;
  QComboBox* target_;
  QComboBox* colormap_;
  QCheckBox* row_normalise_;
  QCheckBox* log_scale_;
  QCheckBox* hide_special_;
  QCheckBox* group_words_;
  QCheckBox* shared_scale_;
};

}  // namespace tl::app
