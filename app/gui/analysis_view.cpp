#include "app/gui/analysis_view.h"

namespace tl::app {

AnalysisView::AnalysisView(AppContext* context, QString name, QWidget* parent)
    : QWidget(parent), context_(context), message_(new QLabel(this)), name_(std::move(name)) {
  message_->setWordWrap(true);
  message_->setVisible(false);
  // Anything that changes what a view shows marks it stale; each view adds its own triggers.
  connect(context_, &AppContext::analysisChanged, this, &AnalysisView::invalidate);
  connect(context_, &AppContext::modelChanged, this, &AnalysisView::invalidate);
}

void AnalysisView::invalidate() {
  stale_ = true;
  if (isVisible()) {
    stale_ = false;
    recompute();
  }
}

void AnalysisView::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  if (stale_) {
    stale_ = false;
    recompute();
  }
}

void AnalysisView::post(Work work) {
  const quint64 request = ++request_;
  context_->jobs().post(jobTag(), this, [this, request, work = std::move(work)](Progress& progress) -> JobQueue::Continuation {
    auto show = work(progress);
    return [this, request, show = std::move(show)] {
      if (request != request_) return;  // a newer request is on its way
      show();
      finished();
    };
  });
}

void AnalysisView::postRecolour(Work work) {
  context_->jobs().post(jobTag() + QStringLiteral(":colours"), this, std::move(work));
}

void AnalysisView::setMessage(const QString& text) {
  message_->setText(text);
  message_->setVisible(!text.isEmpty());
}

void AnalysisView::finished() {
  has_content_ = true;
  emit ready();
}

CellColourer AnalysisView::colourer() const {
  // The context outlives every job (its destructor joins the worker first).
  return [context = context_, prefer = context_->preferVulkan()](const DisplayedMap& shown, const render::HeatmapStyle& style) {
    return std::shared_ptr<const RenderedCells>(context->colourDisplayed(shown, style, prefer));
  };
}

}  // namespace tl::app
