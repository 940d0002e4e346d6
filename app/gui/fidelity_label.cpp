#include "app/gui/fidelity_label.h"

#include <cmath>
#include <limits>

#include "core/lens/fidelity.h"

namespace tl::app {

FidelityLabel::FidelityLabel(AppContext* context, QWidget* parent)
    : QLabel(parent), context_(context), max_error_(std::numeric_limits<double>::quiet_NaN()) {
  setToolTip(tr("Fidelity: the TensorLens operator (attention, norm scales and activation ratios frozen at this "
                "forward pass) applied to the input, against the hidden states the forward pass computed; the "
                "largest relative error over every token and block. About 1e-6 is float32 rounding: the operator is "
                "exact. A large value means the picture does not describe this forward pass."));
  connect(context_, &AppContext::analysisChanged, this, &FidelityLabel::recompute);
}

void FidelityLabel::recompute() {
  const auto analysis = context_->analysis();
  const quint64 request = ++request_;
  if (!analysis || !analysis->trace || !context_->hasModel()) {
    max_error_ = std::numeric_limits<double>::quiet_NaN();
    clear();
    emit updated();
    return;
  }
  context_->jobs().post(QStringLiteral("fidelity"), this,
                        [this, request, model = context_->session()->model_ptr(), analysis](Progress& progress) -> JobQueue::Continuation {
                          auto f = lens::operator_fidelity(*model, *analysis->trace, lens::GatedFfn::Gate, &progress);
                          return [this, request, f = std::move(f)] {
                            if (request != request_) return;
                            if (!f) {
                              max_error_ = std::numeric_limits<double>::quiet_NaN();
                              setText(tr("fidelity: %1").arg(QString::fromStdString(f.error().message)));
                            } else {
                              max_error_ = f->max_relative_error;
                              setText(tr("operator fidelity: max rel. error %1").arg(max_error_, 0, 'e', 1));
                            }
                            emit updated();
                          };
                        });
}

}  // namespace tl::app
