#include "app/gui/compare_models.h"

#include <QCheckBox>
#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QVBoxLayout>
#include <algorithm>

#include "app/gui/heatmap_view.h"
#include "app/gui/item_models.h"
#include "app/gui/model_list.h"
#include "app/gui/model_pair.h"
#include "app/gui/token_chips.h"

namespace tl::app {

// ---------------------------------------------------------------- ModelSlot

ModelSlot::ModelSlot(const QString& name, QWidget* parent) : QWidget(parent), context_(new AppContext(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  auto* top = new QHBoxLayout;
  auto* title = new QLabel(QStringLiteral("<b>%1</b>").arg(name.toHtmlEscaped()), this);
  picker_ = new ModelPicker(context_, this);
  top->addWidget(title);
  top->addWidget(picker_, 1);
  layout->addLayout(top);
  caption_ = new QLabel(this);
  caption_->setWordWrap(true);
  layout->addWidget(caption_);
  layout->addWidget(make_chip_band(context_, 3, this, &chips_));
  heatmap_ = new HeatmapView(this);
  layout->addWidget(heatmap_, 1);

  // The heatmap shows the context's selected pair (tokens) at its drawn row and column (words).
  auto show_selection = [this] {
    const auto cells = context_->cells();
    const int i = context_->selectedRow(), j = context_->selectedCol();
    if (cells && i >= 0) heatmap_->setSelection(cells->displayRow(i), cells->displayCol(j));
    else heatmap_->setSelection(-1, -1);
  };
  connect(context_, &AppContext::cellsChanged, this, [this, show_selection] {
    heatmap_->setCells(context_->cells());
    show_selection();
  });
  connect(context_, &AppContext::selectionChanged, this, show_selection);
  // Ready once the current text's analysis and cells are in and the worker is idle: the worker's
  // idle notice can arrive after the last result, so both are checked.
  auto reevaluate = [this] {
    const auto a = context_->analysis();
    const bool now = context_->cells() && a && a->text == context_->text().toStdString() && !context_->jobs().busy();
    if (now && !ready_) {
      ready_ = true;
      emit readyChanged();
    }
  };
  connect(context_, &AppContext::analysisFinished, this, reevaluate);
  connect(&context_->jobs(), &JobQueue::busyChanged, this, reevaluate);
  for (auto signal : {&AppContext::textChanged, &AppContext::mapChoiceChanged, &AppContext::styleChanged,
                      &AppContext::modelChanged}) {
    connect(context_, signal, this, [this] { ready_ = false; });
  }
}

// ---------------------------------------------------------------- CompareModelsWindow

CompareModelsWindow::CompareModelsWindow(const SessionPtr& a, const QString& text, const MapChoice& choice,
                                         QWidget* parent)
    : QWidget(parent) {
  choice_ = choice;
  choice_.target_token = -1;
  setWindowTitle(tr("Compare models \u2014 TensorLens Studio"));
  setObjectName(QStringLiteral("CompareModelsWindow"));
  auto* layout = new QVBoxLayout(this);

  auto* controls = new QHBoxLayout;
  text_ = new QLineEdit(this);
  text_->setPlaceholderText(tr("The sentence both models read"));
  text_->setToolTip(tr("Each model tokenizes it its own way"));
  method_ = new QComboBox(this);
  for (const MethodInfo& info : method_registry()) {
    const QString name = QString::fromLatin1(info.name.data(), static_cast<qsizetype>(info.name.size()));
    method_->addItem(name, name);
  }
  method_->setToolTip(tr("The same method in both models"));
  scope_ = new QComboBox(this);
  scope_->addItem(tr("Block alone"), int(Scope::Block));
  scope_->addItem(tr("Blocks 1 to n"), int(Scope::Through));
  scope_->addItem(tr("End to end"), int(Scope::EndToEnd));
  block_ = new QSpinBox(this);
  block_->setToolTip(tr("Block of model A; model B shows the block at the same relative depth"));
  block_b_ = new QSpinBox(this);
  block_b_->setToolTip(tr("Block of model B; model A shows the block at the same relative depth"));
  row_normalise_ = new QCheckBox(tr("Normalise rows"), this);
  log_scale_ = new QCheckBox(tr("Log scale"), this);
  hide_special_ = new QCheckBox(tr("Hide special tokens and sink"), this);
  hide_special_->setToolTip(tr("Leave special tokens (BOS, CLS, SEP) and, in decoders, the first token (the attention "
                               "sink) out of the colour scale; they are drawn grey"));
  group_words_ = new QCheckBox(tr("Words as one row/column"), this);
  group_words_->setToolTip(tr("Tokenizations differ between models; words line up better than tokens"));
  shared_scale_ = new QCheckBox(tr("Shared scale across models"), this);
  shared_scale_->setToolTip(tr("One colour scale for both models (all blocks of the method and scope in each), so "
                               "equal values have equal colours"));

  controls->addWidget(new QLabel(tr("Text"), this));
  controls->addWidget(text_, 1);
  controls->addWidget(new QLabel(tr("Method"), this));
  controls->addWidget(method_);
  controls->addWidget(scope_);
  controls->addWidget(new QLabel(tr("Block (A)"), this));
  controls->addWidget(block_);
  controls->addWidget(new QLabel(tr("(B)"), this));
  controls->addWidget(block_b_);
  layout->addLayout(controls);
  auto* options = new QHBoxLayout;
  for (QCheckBox* box : {row_normalise_, log_scale_, hide_special_, group_words_, shared_scale_}) options->addWidget(box);
  options->addStretch(1);
  layout->addLayout(options);

  auto* side_by_side = new QHBoxLayout;
  a_ = new ModelSlot(tr("A"), this);
  b_ = new ModelSlot(tr("B"), this);
  side_by_side->addWidget(a_, 1);
  side_by_side->addWidget(b_, 1);
  hide_special_->setChecked(a_->context()->style().hide_special);
  layout->addLayout(side_by_side, 1);
  link_ = new QLabel(tr("Hover a cell: the other model's tokens covering the same text are outlined in green. Click "
                        "a cell: the other model selects the pair covering the same text."),
                     this);
  layout->addWidget(link_);
  b_->context()->shareScalesWith(a_->context());  // "shared scale" spans both models

  for (ModelSlot* s : {a_, b_}) {
    connect(s, &ModelSlot::readyChanged, this, [this] {
      if (ready()) emit bothReady();
    });
    connect(s->context(), &AppContext::modelChanged, this, [this] {
      pushChoice();
      syncControls();
    });
    connect(s->context(), &AppContext::mapChoiceChanged, this, [this, s] {
      adoptChoice(s);
      updateCaptions();
    });
    connect(s->context(), &AppContext::errorOccurred, link_, [this, s](const QString& m) {
      link_->setText(tr("%1: %2").arg(s == a_ ? QStringLiteral("A") : QStringLiteral("B"), m));
    });
    connect(s->heatmap(), &HeatmapView::cellHovered, this, [this, s](int i, int j) { linkHover(s, i, j); });
    connect(s->heatmap(), &HeatmapView::cellSelected, this, [this, s](int i, int j) { linkSelection(s, i, j); });
  }
  connect(text_, &QLineEdit::textChanged, this, &CompareModelsWindow::setText);
  connect(method_, &QComboBox::currentIndexChanged, this,
          [this] { setMethod(method_->currentData().toString()); });
  connect(scope_, &QComboBox::currentIndexChanged, this,
          [this] { setScope(static_cast<Scope>(scope_->currentData().toInt())); });
  connect(block_, &QSpinBox::valueChanged, this, &CompareModelsWindow::setBlock);
  connect(block_b_, &QSpinBox::valueChanged, this, &CompareModelsWindow::setBlockOfB);
  for (QCheckBox* box : {row_normalise_, log_scale_, hide_special_, group_words_}) {
    connect(box, &QCheckBox::toggled, this, [this] {
      render::HeatmapStyle s = a_->context()->style();
      s.row_normalise = row_normalise_->isChecked();
      s.log_scale = log_scale_->isChecked();
      s.hide_special = hide_special_->isChecked();
      s.group_words = group_words_->isChecked();
      setStyle(s);
    });
  }
  connect(shared_scale_, &QCheckBox::toggled, this, &CompareModelsWindow::setSharedScale);

  if (a)
    a_->context()->setSession(a);
  else
    a_->context()->loadEmbeddedModel();
  b_->context()->loadEmbeddedModel();
  const QString start =
      text.isEmpty() ? QStringLiteral("Once upon a time, there was a little girl named Lily.") : text;
  text_->setText(start);  // -> setText on both slots
  pushChoice();
  syncControls();
  resize(1500, 860);
}

void CompareModelsWindow::setText(const QString& text) {
  if (text_->text() != text) {
    const QSignalBlocker block(text_);
    text_->setText(text);
  }
  a_->context()->setText(text);
  b_->context()->setText(text);
}

void CompareModelsWindow::setMethod(const QString& method) {
  choice_.method = method.toStdString();
  pushChoice();
  syncControls();
}

void CompareModelsWindow::setScope(Scope scope) {
  choice_.scope = scope;
  pushChoice();
  syncControls();
}

void CompareModelsWindow::setBlock(int block_of_a) {
  choice_.block = block_of_a;
  pushChoice();
  syncControls();
}

void CompareModelsWindow::setBlockOfB(int block_of_b) {
  b_->context()->setBlock(block_of_b);  // -> adoptChoice(b_)
}

void CompareModelsWindow::setStyle(const render::HeatmapStyle& style) {
  a_->context()->setStyle(style);
  b_->context()->setStyle(style);
}

void CompareModelsWindow::setSharedScale(bool shared) {
  if (shared_scale_->isChecked() != shared) {
    const QSignalBlocker block(shared_scale_);
    shared_scale_->setChecked(shared);
  }
  a_->context()->setSharedScale(shared);
  b_->context()->setSharedScale(shared);
}

// Model A takes the choice as it is (made valid for it); model B the same method and scope at
// the relative block. Each context drops what its model does not offer (normalised()).
void CompareModelsWindow::pushChoice(ModelSlot* keep) {
  AppContext* ca = a_->context();
  AppContext* cb = b_->context();
  const bool was_pushing = pushing_;
  pushing_ = true;
  if (ca->hasModel()) choice_ = normalised(choice_, ca->session()->spec());
  for (AppContext* c : {ca, cb}) {
    c->setMethod(QString::fromStdString(choice_.method));
    c->setScope(choice_.scope);
  }
  ca->setBlock(choice_.block);
  if (keep != b_) {
    if (ca->hasModel() && cb->hasModel())
      cb->setBlock(relative_layer(choice_.block, ca->numBlocks(), cb->numBlocks()));
    else
      cb->setBlock(choice_.block);
  }
  pushing_ = was_pushing;
  updateCaptions();
}

void CompareModelsWindow::adoptChoice(ModelSlot* from) {
  if (pushing_) return;
  AppContext* ca = a_->context();
  AppContext* cb = b_->context();
  const MapChoice& c = from->context()->mapChoice();
  MapChoice next = choice_;
  next.method = c.method;
  next.scope = c.scope;
  next.head = c.head;
  if (from == a_ || !ca->hasModel() || !cb->hasModel()) {
    next.block = c.block;
  } else if (c.block != relative_layer(choice_.block, ca->numBlocks(), cb->numBlocks())) {
    // B's block moved: A goes to the same relative depth (B's block is not mapped back and forth,
    // which could move it when the models' depths differ).
    next.block = relative_layer(c.block, cb->numBlocks(), ca->numBlocks());
  }
  if (next.method != choice_.method || next.scope != choice_.scope || next.block != choice_.block || next.head != choice_.head) {
    choice_ = next;
    pushChoice(from);
  }
  syncControls();  // B's own block may have moved without moving A's
}

void CompareModelsWindow::syncControls() {
  const QSignalBlocker b0(method_), b1(scope_), b2(block_), b3(block_b_);
  method_->setCurrentIndex(method_->findData(QString::fromStdString(choice_.method)));
  const MethodInfo* info = find_method(choice_.method);
  for (int k = 0; k < scope_->count(); ++k) {
    const bool ok = info && scope_supported(*info, static_cast<Scope>(scope_->itemData(k).toInt()));
    if (auto* model = qobject_cast<QStandardItemModel*>(scope_->model())) model->item(k)->setEnabled(ok);
  }
  scope_->setCurrentIndex(scope_->findData(int(choice_.scope)));
  block_->setRange(1, std::max(1, a_->context()->numBlocks()));
  block_->setValue(choice_.block);
  block_->setEnabled(choice_.scope != Scope::EndToEnd);
  block_b_->setRange(1, std::max(1, b_->context()->numBlocks()));
  block_b_->setValue(b_->context()->block());
  block_b_->setEnabled(choice_.scope != Scope::EndToEnd);
}

void CompareModelsWindow::updateCaptions() {
  for (ModelSlot* s : {a_, b_}) {
    AppContext* c = s->context();
    if (!c->hasModel()) {
      s->caption()->setText(tr("<i>loading\u2026</i>"));
      continue;
    }
    const MapChoice& m = c->mapChoice();
    QString where = m.scope == Scope::EndToEnd ? tr("end to end")
                    : m.scope == Scope::Block  ? tr("block %1 of %2").arg(m.block).arg(c->numBlocks())
                                               : tr("blocks 1..%1 of %2").arg(m.block).arg(c->numBlocks());
    if (s == b_ && m.scope != Scope::EndToEnd && a_->context()->hasModel())
      where += tr(" (same relative depth as A)");
    s->caption()->setText(
        QStringLiteral("%1 \u00b7 %2 \u00b7 %3")
            .arg(QString::fromStdString(c->session()->display_name()).toHtmlEscaped(), QString::fromStdString(m.method), where));
  }
}

std::vector<int> CompareModelsWindow::linkedTokens(ModelSlot* from, ModelSlot* to, bool rows, int index) const {
  const auto from_cells = from->context()->cells();
  const auto to_cells = to->context()->cells();
  const auto from_a = from->context()->analysis();
  const auto to_a = to->context()->analysis();
  if (index < 0 || !from_cells || !to_cells || !from_a || !to_a || from_a->text != to_a->text) return {};
  // An axis links only when it is the sentence's tokens (or words) in both maps.
  auto token_axis = [rows](const RenderedCells& c, std::size_t n_tokens) {
    const int n = rows ? c.map->rows() : c.map->cols();
    const bool grouped = rows ? c.word_rows : c.word_cols;
    return grouped || n == static_cast<int>(n_tokens);
  };
  if (!token_axis(*from_cells, from_a->encoding.size()) || !token_axis(*to_cells, to_a->encoding.size())) return {};
  const auto [first, last] = rows ? from_cells->rowTokens(index) : from_cells->colTokens(index);
  const auto [b, e] = byte_range(from_a->encoding, first, last);
  return overlapping_tokens(to_a->encoding, b, e);
}

void CompareModelsWindow::linkHover(ModelSlot* from, int i, int j) {
  ModelSlot* to = from == a_ ? b_ : a_;
  const auto to_cells = to->context()->cells();
  const std::vector<int> row_tokens = linkedTokens(from, to, true, i);
  const std::vector<int> col_tokens = i < 0 ? std::vector<int>{} : linkedTokens(from, to, false, j);
  auto display = [&](const std::vector<int>& tokens, bool rows) {
    std::vector<int> out;
    for (int t : tokens) {
      const int d = rows ? to_cells->displayRow(t) : to_cells->displayCol(t);
      if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
    }
    return out;
  };
  to->heatmap()->setHighlight(display(row_tokens, true), display(col_tokens, false));
  std::vector<int> chips = row_tokens;
  for (int t : col_tokens)
    if (std::find(chips.begin(), chips.end(), t) == chips.end()) chips.push_back(t);
  to->chips()->setHighlighted(chips);
}

void CompareModelsWindow::linkSelection(ModelSlot* from, int i, int j) {
  ModelSlot* to = from == a_ ? b_ : a_;
  const auto cells = from->context()->cells();
  if (i < 0 || j < 0 || !cells) {
    from->context()->setSelectedPair(-1, -1);
    to->context()->setSelectedPair(-1, -1);
    return;
  }
  from->context()->setSelectedPair(cells->tokenRow(i), cells->tokenCol(j));
  const std::vector<int> rows = linkedTokens(from, to, true, i);
  const std::vector<int> cols = linkedTokens(from, to, false, j);
  // The row token that has read the whole span (the last), the column token where it starts.
  if (rows.empty() || cols.empty()) to->context()->setSelectedPair(-1, -1);
  else to->context()->setSelectedPair(rows.back(), cols.front());
}

}  // namespace tl::app
