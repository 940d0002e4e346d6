#pragma once
// FidelityLabel: the status-bar line that says how exactly the TensorLens operator reproduces
// the current forward pass (core/lens/fidelity.h: the composed operator applied to the input vs
// the traced hidden states, max relative error), so the user can trust the picture. Computed
// once per analysis on the worker (about one forward pass of work).
#include <QLabel>
#include <memory>

#include "app/gui/app_context.h"

namespace tl::app {

class FidelityLabel : public QLabel {
  Q_OBJECT
 public:
  explicit FidelityLabel(AppContext* context, QWidget* parent = nullptr);
  // The last result's max relative error (NaN while none).
  double maxRelativeError() const { return max_error_; }

 signals:
  void updated();

 private:
  void recompute();
  AppContext* context_;
  double max_error_;
  quint64 request_ = 0;
};

}  // namespace tl::app
