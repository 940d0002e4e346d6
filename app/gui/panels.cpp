#include "app/gui/panels.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QTextDocument>
#include <QVBoxLayout>

#include "app/gui/elided_label.h"
#include "app/gui/item_models.h"
#include "app/gui/token_chips.h"

namespace tl::app {

// ---------------------------------------------------------------- ModelInfoPanel

ModelInfoPanel::ModelInfoPanel(AppContext* context, QWidget* parent) : QWidget(parent), context_(context) {
  auto* layout = new QVBoxLayout(this);
  label_ = new QLabel(this);
  label_->setTextFormat(Qt::RichText);
  label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  label_->setWordWrap(true);
  label_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
  layout->addWidget(label_);
  layout->addStretch(1);
  connect(context_, &AppContext::modelChanged, this, &ModelInfoPanel::refresh);
  refresh();
}

QString ModelInfoPanel::text() const {
  QTextDocument doc;
  doc.setHtml(label_->text());
  return doc.toPlainText();
}

void ModelInfoPanel::refresh() {
  const SessionPtr& s = context_->session();
  if (!s) {
    label_->setText(tr("<i>No model loaded.</i>"));
    return;
  }
  const ModelSpec& m = s->spec();
  auto row = [](const QString& k, const QString& v) {
    return QStringLiteral("<tr><td style='padding-right:10px; color:palette(mid)'>%1</td><td>%2</td></tr>").arg(k, v);
  };
  const double params = static_cast<double>(m.parameter_count());
  const QString param_text = params >= 1e9   ? QStringLiteral("%1 B").arg(params / 1e9, 0, 'f', 2)
                             : params >= 1e6 ? QStringLiteral("%1 M").arg(params / 1e6, 0, 'f', 1)
                                             : QStringLiteral("%1 K").arg(params / 1e3, 0, 'f', 0);
  QString html = QStringLiteral("<b>%1</b><table>").arg(QString::fromStdString(s->display_name()).toHtmlEscaped());
  html += row(tr("family"), QStringLiteral("%1 (%2)").arg(to_string(m.family), QString::fromStdString(m.model_type)));
  html += row(tr("kind"), m.causal ? tr("decoder (causal LM)") : tr("encoder (masked LM)"));
  html += row(tr("parameters"), param_text);
  html += row(tr("blocks"), QString::number(m.num_layers));
  html += row(tr("heads"), m.num_kv_heads != m.num_heads ? tr("%1 (%2 key/value, GQA)").arg(m.num_heads).arg(m.num_kv_heads)
                                                          : QString::number(m.num_heads));
  html += row(tr("hidden size"), QString::number(m.hidden_size));
  html += row(tr("FFN size"), QStringLiteral("%1%2").arg(m.intermediate_size).arg(m.gated_ffn ? tr(" (gated)") : QString()));
  html += row(tr("vocabulary"), QString::number(m.vocab_size));
  html += row(tr("context"), tr("%1 tokens").arg(m.max_positions));
  html += row(tr("norm"), QStringLiteral("%1, %2").arg(to_string(m.norm), to_string(m.topology)));
  html += row(tr("stored as"), QString::fromStdString(m.stored_dtype));
  html += row(tr("source"), QString::fromStdString(s->model().source).toHtmlEscaped());
  html += QStringLiteral("</table>");
  label_->setText(html);
}

// ---------------------------------------------------------------- SentencePanel

SentencePanel::SentencePanel(AppContext* context, QWidget* parent) : QWidget(parent), context_(context) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  editor_ = new QPlainTextEdit(this);
  editor_->setPlaceholderText(tr("Type a sentence"));
  editor_->setTabChangesFocus(true);
  const int line = editor_->fontMetrics().lineSpacing();
  editor_->setFixedHeight(line * 3 + 12);
  editor_->setPlainText(context_->text());
  editor_->setToolTip(tr("The input text: tokenized as you type, analysed on the worker thread"));
  layout->addWidget(editor_);

  auto* row = new QHBoxLayout;
  count_ = new QLabel(this);
  row->addWidget(count_);
  row->addStretch(1);
  layout->addLayout(row);
  // Long texts scroll inside a band of at most four chip rows, so the heatmap keeps its room.
  layout->addWidget(make_chip_band(context_, 4, this, &chips_));

  connect(editor_, &QPlainTextEdit::textChanged, this, [this] { context_->setText(editor_->toPlainText()); });
  connect(context_, &AppContext::textChanged, this, [this] {
    if (editor_->toPlainText() != context_->text()) {
      const QSignalBlocker block(editor_);
      editor_->setPlainText(context_->text());
    }
  });
  connect(context_, &AppContext::encodingChanged, this, [this] {
    const int n = static_cast<int>(context_->encoding().size());
    count_->setText(tr("%n token(s)", nullptr, n));
  });
}

// ---------------------------------------------------------------- PredictionsPanel

namespace {

// Probability column: a bar behind the percentage.
class ProbabilityBarDelegate : public QStyledItemDelegate {
 public:
  using QStyledItemDelegate::QStyledItemDelegate;
  void paint(QPainter* p, const QStyleOptionViewItem& option, const QModelIndex& index) const override {
    const double prob = index.data(PredictionsModel::ProbabilityRole).toDouble();
    QRectF bar = QRectF(option.rect).adjusted(2, 3, -2, -3);
    bar.setWidth(bar.width() * std::clamp(prob, 0.0, 1.0));
    p->save();
    p->fillRect(bar, option.palette.highlight().color().lighter(160));
    p->restore();
    QStyledItemDelegate::paint(p, option, index);
  }
};

}  // namespace

PredictionsPanel::PredictionsPanel(AppContext* context, QWidget* parent) : QWidget(parent), context_(context) {
  auto* layout = new QVBoxLayout(this);
  heading_ = new QLabel(this);
  heading_->setWordWrap(true);
  layout->addWidget(heading_);
  model_ = new PredictionsModel(context_, this);
  table_ = new QTableView(this);
  table_->setModel(model_);
  table_->setItemDelegateForColumn(PredictionsModel::Probability, new ProbabilityBarDelegate(table_));
  table_->verticalHeader()->hide();
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->horizontalHeader()->setSectionResizeMode(PredictionsModel::Rank, QHeaderView::ResizeToContents);
  table_->horizontalHeader()->setSectionResizeMode(PredictionsModel::Token, QHeaderView::Stretch);
  table_->horizontalHeader()->setSectionResizeMode(PredictionsModel::Probability, QHeaderView::Fixed);
  table_->horizontalHeader()->resizeSection(PredictionsModel::Probability, 110);
  table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 6);
  table_->setShowGrid(false);
  layout->addWidget(table_, 1);
  connect(context_, &AppContext::analysisChanged, this, &PredictionsPanel::refreshHeading);
  connect(context_, &AppContext::modelChanged, this, &PredictionsPanel::refreshHeading);
  refreshHeading();
}

void PredictionsPanel::refreshHeading() {
  const auto a = context_->analysis();
  if (!context_->hasModel()) {
    heading_->setText(tr("<i>No model loaded.</i>"));
  } else if (!a || !a->trace) {
    heading_->setText(tr("<i>No analysis yet.</i>"));
  } else if (a->prediction_row < 0) {
    heading_->setText(tr("Masked LM: put a mask token in the text to see what the model predicts there."));
  } else {
    const QString after = chip_text(a->labels[static_cast<std::size_t>(a->prediction_row)]).toHtmlEscaped();
    heading_->setText(context_->session()->spec().causal
                          ? tr("Next token after \u201c%1\u201d (position %2):").arg(after).arg(a->prediction_row)
                          : tr("Masked token at position %1:").arg(a->prediction_row));
  }
}

// ---------------------------------------------------------------- MapControls

MapControls::MapControls(AppContext* context, QWidget* parent) : QWidget(parent), context_(context) {
  auto* rows = new QVBoxLayout(this);
  rows->setContentsMargins(0, 0, 0, 0);
  auto* first = new QHBoxLayout;
  auto* second = new QHBoxLayout;
  rows->addLayout(first);
  rows->addLayout(second);

  first->addWidget(new QLabel(tr("Method"), this));
  method_ = new QComboBox(this);
  for (const MethodInfo& info : method_registry()) {
    const QString name = QString::fromLatin1(info.name.data(), static_cast<qsizetype>(info.name.size()));
    method_->addItem(name, name);
    method_->setItemData(method_->count() - 1,
                         QStringLiteral("%1\nneeds: %2").arg(QString::fromUtf8(info.description.data(), static_cast<qsizetype>(info.description.size())),
                                                              QString::fromStdString(needs_label(info.needs))),
                         Qt::ToolTipRole);
  }
  method_->setToolTip(tr("Explanation method (the same registry as tensorlens-cli methods)"));
  first->addWidget(method_);
  scope_ = new QComboBox(this);
  scope_->addItem(tr("Block alone"), int(Scope::Block));
  scope_->addItem(tr("Blocks 1 to n"), int(Scope::Through));
  scope_->addItem(tr("End to end"), int(Scope::EndToEnd));
  scope_->setToolTip(tr("Per-layer map of one block, blocks composed up to one, or the whole model"));
  first->addWidget(scope_);
  first->addWidget(new QLabel(tr("Block"), this));
  block_ = new QSpinBox(this);
  block_->setToolTip(tr("Transformer block (1 = first)"));
  first->addWidget(block_);
  first->addWidget(new QLabel(tr("Head"), this));
  head_ = new QSpinBox(this);
  head_->setToolTip(tr("Attention head, for per-head methods"));
  first->addWidget(head_);
  first->addWidget(new QLabel(tr("Target"), this));
  target_ = new QComboBox(this);
  target_->setToolTip(tr("Token whose unembedding row is the Out direction (TensorLens Out, In-Out) or whose "
                         "prediction is explained (gradient methods); default: the model's prediction"));
  target_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  first->addWidget(target_);
  description_ = new ElidedLabel(this);  // elided at the window edge, whole in its tooltip
  first->addWidget(description_, 1);

  colormap_ = new QComboBox(this);
  colormap_->addItem(tr("Auto colours"), int(render::ColormapChoice::Auto));
  colormap_->addItem(tr("Viridis"), int(render::ColormapChoice::Viridis));
  colormap_->addItem(tr("Magma"), int(render::ColormapChoice::Magma));
  colormap_->addItem(tr("Diverging"), int(render::ColormapChoice::Diverging));
  colormap_->setToolTip(tr("Auto: diverging (centred at zero) for signed maps, viridis otherwise"));
  second->addWidget(colormap_);
  row_normalise_ = new QCheckBox(tr("Normalise rows"), this);
  row_normalise_->setToolTip(tr("Divide each row by its largest absolute value"));
  log_scale_ = new QCheckBox(tr("Log scale"), this);
  log_scale_->setToolTip(tr("Logarithmic colours (symmetric for signed maps)"));
  hide_special_ = new QCheckBox(tr("Hide special tokens and sink"), this);
  hide_special_->setToolTip(tr("Leave special tokens (BOS, CLS, SEP) and, in decoders, the first token (the attention "
                               "sink) out of the colour scale; they are drawn grey"));
  group_words_ = new QCheckBox(tr("Words as one row/column"), this);
  group_words_->setToolTip(tr("A word made of several tokens becomes one row and one column (values summed); word "
                              "boundaries come from the tokenizer's byte spans and leading-space markers"));
  shared_scale_ = new QCheckBox(tr("Shared scale across views"), this);
  shared_scale_->setToolTip(tr("One colour scale per method for all blocks and every view (layer-wise tiles, comparison "
                               "maps), so equal values have equal colours; the colorbars say \"shared\""));
  for (auto* box : {row_normalise_, log_scale_, hide_special_, group_words_, shared_scale_}) second->addWidget(box);
  second->addStretch(1);

  syncFromContext();
  connect(context_, &AppContext::modelChanged, this, &MapControls::syncFromContext);
  connect(context_, &AppContext::styleChanged, this, &MapControls::syncFromContext);
  connect(context_, &AppContext::mapChoiceChanged, this, &MapControls::syncFromContext);
  connect(method_, &QComboBox::currentIndexChanged, this, [this] { context_->setMethod(method_->currentData().toString()); });
  connect(scope_, &QComboBox::currentIndexChanged, this,
          [this] { context_->setScope(static_cast<Scope>(scope_->currentData().toInt())); });
  connect(block_, &QSpinBox::valueChanged, context_, &AppContext::setBlock);
  connect(head_, &QSpinBox::valueChanged, context_, &AppContext::setHead);
  connect(target_, &QComboBox::currentIndexChanged, this, [this] {
    if (target_->currentIndex() >= 0) context_->setTarget(target_->currentData().toInt());
  });
  connect(context_, &AppContext::analysisChanged, this, &MapControls::fillTargets);
  connect(colormap_, &QComboBox::currentIndexChanged, this, &MapControls::pushStyle);
  for (auto* box : {row_normalise_, log_scale_, hide_special_, group_words_})
    connect(box, &QCheckBox::toggled, this, &MapControls::pushStyle);
  connect(shared_scale_, &QCheckBox::toggled, context_, &AppContext::setSharedScale);
}

void MapControls::syncFromContext() {
  const QSignalBlocker b0(method_), b1(scope_), b2(block_), b3(head_), b4(colormap_), b5(row_normalise_), b6(log_scale_),
      b7(hide_special_), b8(shared_scale_), b9(group_words_);
  const MapChoice& c = context_->mapChoice();
  method_->setCurrentIndex(method_->findData(QString::fromStdString(c.method)));
  const MethodInfo* info = find_method(c.method);
  for (int k = 0; k < scope_->count(); ++k) {
    const bool ok = info && scope_supported(*info, static_cast<Scope>(scope_->itemData(k).toInt()));
    // Disable scopes the method does not offer (the item stays visible so the choice is explained).
    if (auto* model = qobject_cast<QStandardItemModel*>(scope_->model())) model->item(k)->setEnabled(ok);
  }
  scope_->setCurrentIndex(scope_->findData(int(c.scope)));
  const bool has_model = context_->hasModel();
  block_->setRange(1, std::max(1, context_->numBlocks()));
  block_->setValue(c.block);
  block_->setEnabled(has_model && c.scope != Scope::EndToEnd);
  const int heads = has_model ? context_->session()->spec().num_heads : 1;
  head_->setRange(0, std::max(0, heads - 1));
  head_->setValue(c.head);
  head_->setEnabled(has_model && info && info->per_head);
  fillTargets();
  target_->setEnabled(has_model && info && info->uses_target);
  if (info) {
    const QString d = QString::fromUtf8(info->description.data(), static_cast<qsizetype>(info->description.size()));
    description_->setFullText(d);
  }
  const auto& s = context_->style();
  colormap_->setCurrentIndex(colormap_->findData(int(s.colormap)));
  row_normalise_->setChecked(s.row_normalise);
  log_scale_->setChecked(s.log_scale);
  hide_special_->setChecked(s.hide_special);
  group_words_->setChecked(s.group_words);
  shared_scale_->setChecked(context_->sharedScale());
}

// "Prediction" first, then the current analysis' top predictions (and the chosen target when it
// is not among them, so the box always shows what the map uses).
void MapControls::fillTargets() {
  const QSignalBlocker block(target_);
  target_->clear();
  target_->addItem(tr("Prediction"), -1);
  target_->setItemData(0, tr("Each position's most probable next (or masked) token"), Qt::ToolTipRole);
  const auto a = context_->analysis();
  const int chosen = context_->mapChoice().target_token;
  if (a) {
    for (const Prediction& p : a->predictions) {
      target_->addItem(QStringLiteral("%1  %2%").arg(chip_text(p.token)).arg(100.0 * p.probability, 0, 'f', 1), p.id);
    }
  }
  if (chosen >= 0 && target_->findData(chosen) < 0 && context_->session()->tokenizer_ptr()) {
    target_->addItem(chip_text(context_->session()->tokenizer()->display_token(chosen)), chosen);
  }
  target_->setCurrentIndex(std::max(0, target_->findData(chosen)));
}

void MapControls::pushStyle() {
  render::HeatmapStyle s = context_->style();
  s.colormap = static_cast<render::ColormapChoice>(colormap_->currentData().toInt());
  s.row_normalise = row_normalise_->isChecked();
  s.log_scale = log_scale_->isChecked();
  s.hide_special = hide_special_->isChecked();
  s.group_words = group_words_->isChecked();
  context_->setStyle(s);
}

}  // namespace tl::app
