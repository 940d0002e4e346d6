#include "app/gui/evaluation_view.h"

#include <QBuffer>
#include <QCheckBox>
#include <QComboBox>
#include <QEvent>
#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <filesystem>
#include <optional>

#include "app/gui/job_queue.h"
#include "core/eval/examples.h"
#include "core/eval/identifiability.h"
#include "core/eval/relations.h"
#include "core/eval/relevance.h"
#include "core/io/file_util.h"
#include "render/eval_plots.h"

namespace tl::app {

// One finished run of any test: what the table, the plot and the exports show.
struct EvaluationView::Outcome {
  QStringList header;
  std::vector<QStringList> rows;
  std::optional<render::LinePlot> plot;
  QString summary;
  std::string json, markdown;
  std::shared_ptr<const eval::PerturbationReport> perturbation;  // perturbation runs only
};

namespace {

using Outcome = EvaluationView::Outcome;

// Methods checked by default: the paper's comparison (TensorLens In against attention
// aggregation), one gradient method and the random reference. Cheap on the embedded model.
const QStringList kDefaultMethods = {"tensorlens-in", "rollout", "attention-mean", "input-x-gradient", "random"};

QString interval(const eval::ConfidenceInterval& ci) {
  return QStringLiteral("%1  [%2, %3]").arg(ci.mean, 0, 'f', 3).arg(ci.low, 0, 'f', 3).arg(ci.high, 0, 'f', 3);
}

QString number(double v) { return QString::number(v, 'f', 3); }

QStringList non_empty_lines(const QString& text) {
  QStringList lines;
  for (const QString& line : text.split('\n')) {
    const QString t = line.trimmed();
    if (!t.isEmpty() && !t.startsWith('#')) lines << line;
  }
  return lines;
}

Outcome perturbation_outcome(eval::PerturbationReport report) {
  Outcome o;
  o.header = {QObject::tr("method"), QObject::tr("positive AUC ↓"), QObject::tr("negative AUC ↑"),
              QObject::tr("positive top-1 AUC ↓"), QObject::tr("negative top-1 AUC ↑"), QObject::tr("seconds")};
  for (const eval::MethodResult& m : report.methods) {
    if (!m.error.empty()) {
      o.rows.push_back({QString::fromStdString(m.method), QObject::tr("failed: %1").arg(QString::fromStdString(m.error)),
                        {}, {}, {}, {}});
      continue;
    }
    o.rows.push_back({QString::fromStdString(m.method), interval(m.positive.auc_probability),
                      interval(m.negative.auc_probability), interval(m.positive.auc_agreement),
                      interval(m.negative.auc_agreement),
                      QString::number(m.seconds_relevance + m.seconds_perturbation, 'f', 1)});
  }
  o.plot = render::perturbation_plot(report);
  o.summary = QObject::tr("%1 sentences, replacement token %2, %3 s.")
                  .arg(report.sentences.size())
                  .arg(QString::fromStdString(report.replacement_label))
                  .arg(report.seconds, 0, 'f', 1);
  o.json = eval::to_json(report).dump(2) + "\n";
  o.markdown = eval::to_markdown(report);
  o.perturbation = std::make_shared<const eval::PerturbationReport>(std::move(report));
  return o;
}

Outcome identifiability_outcome(const eval::IdentifiabilityReport& report) {
  Outcome o;
  o.header = {QObject::tr("stage"), QObject::tr("identified (cosine)"), QObject::tr("identified (L2)")};
  for (size_t s = 0; s < report.stages.size(); ++s) {
    o.rows.push_back({QString::fromStdString(report.stages[s]), number(report.share_cosine[s]), number(report.share_l2[s])});
  }
  o.plot = render::identifiability_plot(report);
  o.summary = QObject::tr("%1 sentences, %2 hidden states per stage.").arg(report.sentences).arg(report.hidden_states);
  o.json = eval::to_json(report).dump(2) + "\n";
  o.markdown = eval::to_markdown(report);
  return o;
}

Outcome relations_outcome(const eval::RelationReport& report) {
  Outcome o;
  o.header = {QObject::tr("relation"), QObject::tr("subject stage"), QObject::tr("model accuracy"),
              QObject::tr("LRE faithfulness"), QObject::tr("TensorLens faithfulness"), QObject::tr("‖J−T‖/‖J‖")};
  for (const eval::RelationResult& r : report.relations) {
    for (size_t k = 0; k < report.layers.size(); ++k) {
      o.rows.push_back({QString::fromStdString(r.name), QString::number(report.layers[k]), number(r.model_accuracy),
                        number(r.lre_faithfulness[k]), number(r.lens_faithfulness[k]), number(r.mean_relative_gap[k])});
    }
  }
  o.summary = QObject::tr("%1 relations; faithfulness: share of pairs where the estimator decodes the model's own "
                          "prediction.")
                  .arg(report.relations.size());
  o.json = eval::to_json(report).dump(2) + "\n";
  o.markdown = eval::to_markdown(report);
  return o;
}

}  // namespace

QString EvaluationView::bundledRelations() {
  QFile file(QStringLiteral(":/eval/relations.txt"));
  if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) return {};
  return QString::fromUtf8(file.readAll());
}

QStringList EvaluationView::bundledSentences() {
  QFile file(QStringLiteral(":/eval/sentences.txt"));
  if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) return {};
  return non_empty_lines(QString::fromUtf8(file.readAll()));
}

EvaluationView::EvaluationView(AppContext* context, QWidget* parent) : QWidget(parent), context_(context) {
  setObjectName(QStringLiteral("EvaluationView"));
  auto* intro = new QLabel(
      tr("<b>Perturbation test:</b> for each sentence the model's prediction is explained by each method; the most "
         "relevant tokens are replaced first (<i>positive</i> order: a good method makes the prediction collapse, "
         "lower AUC is better) or the least relevant first (<i>negative</i>: higher is better); AUC over removal "
         "fractions 0–0.9 with a 95% bootstrap interval. <b>Identifiability</b>: the share of hidden states whose "
         "nearest input embedding is their own token. <b>Relations</b>: how often the mean Jacobian (LRE) and the "
         "TensorLens block decode the model's own completion."),
      this);
  intro->setWordWrap(true);

  test_ = new QComboBox(this);
  test_->addItems({tr("Perturbation test"), tr("Identifiability"), tr("Relations")});
  input_label_ = new QLabel(this);
  input_label_->setWordWrap(true);
  sentence_text_ = bundledSentences().join('\n');
  relation_text_ = bundledRelations();
  sentences_ = new QPlainTextEdit(this);
  sentences_->setPlainText(sentence_text_);
  auto* load = new QPushButton(tr("Load file…"), this);
  connect(load, &QPushButton::clicked, this, &EvaluationView::loadFile);
  max_sentences_ = new QSpinBox(this);
  max_sentences_->setRange(1, 100000);
  max_sentences_->setValue(20);
  max_sentences_->setPrefix(tr("first "));
  max_sentences_->setSuffix(tr(" sentences"));
  max_sentences_->setToolTip(tr("How many of the lines to use (the whole bundled set is 200)"));
  keep_last_ = new QCheckBox(tr("Keep the last token (causal LMs)"), this);
  keep_last_->setChecked(true);
  keep_last_->setToolTip(
      tr("Never replace the token at the explained position: it dominates the next-token prediction of small "
         "models, so keeping it compares the methods on the context"));

  methods_ = new QListWidget(this);
  for (const std::string& name : eval::relevance_methods()) {
    auto* item = new QListWidgetItem(QString::fromStdString(name), methods_);
    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
    item->setCheckState(kDefaultMethods.contains(item->text()) ? Qt::Checked : Qt::Unchecked);
  }

  run_ = new QPushButton(tr("&Run"), this);
  cancel_ = new QPushButton(tr("Cancel"), this);
  export_ = new QPushButton(tr("Export report…"), this);
  export_->setEnabled(false);
  cancel_->setEnabled(false);
  connect(run_, &QPushButton::clicked, this, &EvaluationView::run);
  connect(cancel_, &QPushButton::clicked, this, &EvaluationView::cancel);
  connect(export_, &QPushButton::clicked, this, &EvaluationView::exportInteractive);
  progress_ = new QProgressBar(this);
  progress_->setRange(0, 1000);
  progress_->setTextVisible(true);
  message_ = new QLabel(this);
  message_->setWordWrap(true);

  table_ = new QTableWidget(0, 0, this);
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  table_->verticalHeader()->hide();
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  plot_ = new QLabel(this);
  plot_->setAlignment(Qt::AlignCenter);
  plot_->setMinimumHeight(200);
  plot_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Ignored);  // the pixmap follows the label, not the reverse
  plot_->installEventFilter(this);

  auto* left = new QWidget(this);
  auto* left_layout = new QVBoxLayout(left);
  left_layout->setContentsMargins(0, 0, 0, 0);
  left_layout->addWidget(test_);
  left_layout->addWidget(input_label_);
  left_layout->addWidget(sentences_, 2);
  auto* file_row = new QHBoxLayout;
  file_row->addWidget(load);
  file_row->addWidget(max_sentences_);
  left_layout->addLayout(file_row);
  left_layout->addWidget(keep_last_);
  left_layout->addWidget(new QLabel(tr("Methods (perturbation test)"), left));
  left_layout->addWidget(methods_, 3);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(run_);
  buttons->addWidget(cancel_);
  buttons->addWidget(export_);
  left_layout->addLayout(buttons);
  left_layout->addWidget(progress_);
  left_layout->addWidget(message_);

  auto* right = new QSplitter(Qt::Vertical, this);
  right->addWidget(table_);
  right->addWidget(plot_);
  right->setStretchFactor(1, 3);

  auto* split = new QSplitter(Qt::Horizontal, this);
  split->addWidget(left);
  split->addWidget(right);
  split->setStretchFactor(1, 3);
  split->setSizes({380, 1000});  // inputs narrow, results wide
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(intro);
  layout->addWidget(split, 1);

  connect(test_, &QComboBox::currentIndexChanged, this, &EvaluationView::testChanged);
  testChanged();
  connect(&context_->jobs(), &JobQueue::progress, this, [this](const QString& tag, double fraction, const QString& what) {
    if (tag != jobTag()) return;
    progress_->setValue(static_cast<int>(fraction * 1000));
    progress_->setFormat(QStringLiteral("%p%  ") + what);
  });
  connect(&context_->jobs(), &JobQueue::failed, this, [this](const QString& tag, const QString& message) {
    if (tag != jobTag()) return;
    setRunning(false);
    message_->setText(tr("Evaluation failed: %1").arg(message));
    emit finished(false);
  });
}

EvaluationView::Test EvaluationView::test() const { return static_cast<Test>(test_->currentIndex()); }

void EvaluationView::setTest(Test test) { test_->setCurrentIndex(static_cast<int>(test)); }

void EvaluationView::testChanged() {
  // The text box holds sentences for two tests and a relations file for the third: keep both.
  const bool relations = test() == Test::Relations;
  const bool showing_relations = input_label_->text().startsWith(tr("Relations"));
  if (relations != showing_relations && !input_label_->text().isEmpty()) {
    (showing_relations ? relation_text_ : sentence_text_) = sentences_->toPlainText();
    sentences_->setPlainText(relations ? relation_text_ : sentence_text_);
  }
  input_label_->setText(relations ? tr("Relations ('relation:', 'template:' with {}, then 'subject -> object')")
                                  : tr("Sentences (one per line; MLMs: mark the explained position with [MASK])"));
  max_sentences_->setEnabled(!relations);
  keep_last_->setEnabled(test() == Test::Perturbation);
  methods_->setEnabled(test() == Test::Perturbation);
}

void EvaluationView::setSentences(const QStringList& lines) {
  if (test() == Test::Relations) setTest(Test::Perturbation);
  sentences_->setPlainText(lines.join('\n'));
}

void EvaluationView::setMethods(const QStringList& methods) {
  for (int i = 0; i < methods_->count(); ++i) {
    QListWidgetItem* item = methods_->item(i);
    item->setCheckState(methods.contains(item->text()) ? Qt::Checked : Qt::Unchecked);
  }
}

int EvaluationView::resultRows() const { return outcome_ ? static_cast<int>(outcome_->rows.size()) : 0; }

QString EvaluationView::resultCell(int row, int column) const {
  if (!outcome_ || row < 0 || row >= resultRows()) return {};
  return outcome_->rows[size_t(row)].value(column);
}

void EvaluationView::setRunning(bool running) {
  run_->setEnabled(!running);
  cancel_->setEnabled(running);
  test_->setEnabled(!running);
  export_->setEnabled(!running && outcome_ != nullptr);
}

void EvaluationView::run() {
  if (!context_->hasModel()) {
    message_->setText(tr("No model loaded."));
    return;
  }
  const SessionPtr session = context_->session();
  const Test test = this->test();
  const std::string input = sentences_->toPlainText().toStdString();
  std::vector<std::string> texts;
  for (const QString& line : non_empty_lines(sentences_->toPlainText()).mid(0, max_sentences_->value())) {
    texts.push_back(line.toStdString());
  }
  eval::PerturbationOptions options;
  for (int i = 0; i < methods_->count(); ++i) {
    if (methods_->item(i)->checkState() == Qt::Checked) options.methods.push_back(methods_->item(i)->text().toStdString());
  }
  options.keep_last_token = keep_last_->isChecked() && session->spec().causal;
  if (test != Test::Relations && texts.empty()) {
    message_->setText(tr("Type or load at least one sentence."));
    return;
  }
  if (test == Test::Perturbation && options.methods.empty()) {
    message_->setText(tr("Check at least one method."));
    return;
  }

  message_->setText(tr("Running…"));
  progress_->setValue(0);
  setRunning(true);
  context_->jobs().post(jobTag(), this, [this, session, test, input, texts, options](Progress& progress) -> std::function<void()> {
    auto fail = [this](const std::string& message) -> std::function<void()> {
      const QString text = QString::fromStdString(message);
      return [this, text] {
        setRunning(false);
        message_->setText(tr("Evaluation failed: %1").arg(text));
        emit finished(false);
      };
    };
    std::shared_ptr<const Outcome> outcome;
    if (test == Test::Relations) {
      auto relations = eval::parse_relations(input, "the relations box");
      if (!relations) return fail(relations.error().message);
      auto report = session->evaluate_relations(relations.value(), {}, &progress);
      if (!report) return fail(report.error().message);
      outcome = std::make_shared<const Outcome>(relations_outcome(report.value()));
    } else {
      auto examples = eval::make_examples(texts, session->model(), *session->tokenizer());
      if (!examples) return fail(examples.error().message);
      if (test == Test::Identifiability) {
        auto report = session->evaluate_identifiability(examples.value(), &progress);
        if (!report) return fail(report.error().message);
        outcome = std::make_shared<const Outcome>(identifiability_outcome(report.value()));
      } else {
        auto report = session->evaluate_perturbation(examples.value(), options, &progress);
        if (!report) return fail(report.error().message);
        outcome = std::make_shared<const Outcome>(perturbation_outcome(std::move(report.value())));
      }
    }
    return [this, outcome] {
      setRunning(false);
      showOutcome(outcome);
      emit finished(true);
    };
  });
}

void EvaluationView::cancel() {
  context_->jobs().cancel(jobTag());
  setRunning(false);
  message_->setText(tr("Cancelled."));
  emit finished(false);
}

void EvaluationView::showOutcome(std::shared_ptr<const Outcome> outcome) {
  outcome_ = std::move(outcome);
  if (outcome_->perturbation) report_ = outcome_->perturbation;
  table_->clear();
  table_->setColumnCount(static_cast<int>(outcome_->header.size()));
  table_->setHorizontalHeaderLabels(outcome_->header);
  table_->setRowCount(resultRows());
  for (int row = 0; row < resultRows(); ++row) {
    const QStringList& cells = outcome_->rows[size_t(row)];
    for (int c = 0; c < cells.size(); ++c) table_->setItem(row, c, new QTableWidgetItem(cells[c]));
  }
  plot_->setVisible(outcome_->plot.has_value());
  drawPlot();
  message_->setText(outcome_->summary);
  export_->setEnabled(true);
}

void EvaluationView::drawPlot() {
  if (!outcome_ || !outcome_->plot) return;
  const QSize box = plot_->contentsRect().size().expandedTo(QSize(480, 320));
  // Text scaled with the panel (the figure's 14 px is for print size), kept legible.
  render::LinePlot plot = *outcome_->plot;
  plot.font_px = std::clamp(std::min(box.width() / 90.0, box.height() / 42.0), 8.0, outcome_->plot->font_px);
  plot_->setPixmap(QPixmap::fromImage(render::render_line_plot(plot, box)));
}

bool EvaluationView::eventFilter(QObject* watched, QEvent* event) {
  if (watched == plot_ && event->type() == QEvent::Resize) drawPlot();
  return QWidget::eventFilter(watched, event);
}

Status EvaluationView::exportReport(const QString& json_path) const {
  if (!outcome_) return Error{"no evaluation report yet: run a test first"};
  const std::filesystem::path json = json_path.toStdString();
  std::filesystem::path md = json, png = json;
  md.replace_extension(".md");
  png.replace_extension(".png");
  for (const auto& p : {json, md, png}) {
    if (std::filesystem::exists(p)) return Error{"refusing to overwrite " + p.string()};
  }
  if (Status s = write_text_atomic(json, outcome_->json); !s.ok()) return s;
  if (Status s = write_text_atomic(md, outcome_->markdown); !s.ok()) return s;
  if (!outcome_->plot) return {};
  QByteArray bytes;
  QBuffer buffer(&bytes);
  buffer.open(QIODevice::WriteOnly);
  // The exported curves at a fixed print size (the docs' figures), not the panel's.
  if (!render::render_line_plot(*outcome_->plot, QSize(1800, 1250)).save(&buffer, "PNG")) {
    return Error{"could not encode the curves image"};
  }
  return write_file_atomic(png, std::span(reinterpret_cast<const unsigned char*>(bytes.constData()), size_t(bytes.size())));
}

void EvaluationView::exportInteractive() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Export evaluation report"), QStringLiteral("evaluation.json"),
                                                    tr("JSON report (*.json)"), nullptr, QFileDialog::DontConfirmOverwrite);
  if (path.isEmpty()) return;
  if (Status s = exportReport(path); !s.ok()) {
    QMessageBox::warning(this, tr("Export"), QString::fromStdString(s.error().message));
  } else {
    message_->setText(tr("Wrote %1 (+ .md%2)").arg(path, outcome_->plot ? tr(", .png") : QString()));
  }
}

void EvaluationView::loadFile() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Sentence or relations file"), {}, tr("Text (*.txt);;All files (*)"));
  if (path.isEmpty()) return;
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
    message_->setText(tr("Cannot read %1").arg(path));
    return;
  }
  sentences_->setPlainText(QString::fromUtf8(file.readAll()));
  if (test() != Test::Relations) max_sentences_->setValue(static_cast<int>(non_empty_lines(sentences_->toPlainText()).size()));
}

}  // namespace tl::app
