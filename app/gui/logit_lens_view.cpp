#include "app/gui/logit_lens_view.h"

#include <QHeaderView>
#include <QTableView>
#include <QVBoxLayout>
#include <algorithm>

#include "app/gui/view_models.h"

namespace tl::app {

LogitLensView::LogitLensView(AppContext* context, QWidget* parent) : AnalysisView(context, QStringLiteral("logit-lens"), parent) {
  auto* layout = new QVBoxLayout(this);
  heading_ = new QLabel(this);
  heading_->setWordWrap(true);
  model_ = new LogitLensModel(this);
  table_ = new QTableView(this);
  table_->setModel(model_);
  table_->setSelectionMode(QAbstractItemView::NoSelection);
  table_->setWordWrap(false);
  table_->horizontalHeader()->setDefaultAlignment(Qt::AlignCenter);
  table_->verticalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
  layout->addWidget(heading_);
  layout->addWidget(message_);
  layout->addWidget(table_, 1);
}

void LogitLensView::recompute() {
  const auto analysis = context_->analysis();
  if (!analysis || !analysis->trace || !context_->hasModel()) {
    setMessage(tr("No analysis yet: type a sentence."));
    return;
  }
  setMessage(tr("Decoding every block\u2026"));
  post([this, session = context_->session(), analysis](Progress& progress) -> std::function<void()> {
    MethodRequest req;
    req.options = {{"top_k", 5}};
    auto out = session->compute(*analysis, "logit-lens", req, &progress);
    if (!out || !out->logit_lens) {
      const QString e = out ? tr("logit-lens gave no table") : QString::fromStdString(out.error().message);
      return [this, e] {
        model_->setLens(nullptr, {}, nullptr);
        setMessage(e);
      };
    }
    auto lens = std::make_shared<const LogitLens>(std::move(*out->logit_lens));
    return [this, lens, analysis, tokenizer = session->tokenizer_ptr()] {
      setMessage({});
      model_->setLens(lens, analysis->labels, tokenizer);
      table_->resizeRowsToContents();
      // Equal stage columns, wide enough for the widest cell, so the eye can follow a row.
      table_->resizeColumnsToContents();
      int widest = 0;
      for (int c = 0; c < model_->columnCount(); ++c) widest = std::max(widest, table_->columnWidth(c));
      for (int c = 0; c < model_->columnCount(); ++c) table_->setColumnWidth(c, widest + 8);
      heading_->setText(tr("<b>Logit lens</b>: each block's output read through the final norm and the unembedding. "
                           "Rows: positions; columns: stages. A cell: the top token at that stage, then "
                           "<i>#rank \u00b7 probability</i> of the position's final prediction (colour: that probability, dark = 0, yellow = 1). Hover for the top %1.")
                            .arg(lens->top_k));
    };
  });
}

}  // namespace tl::app
