#include "app/gui/evaluation_view.h"

#include <QBuffer>
#include <QEvent>
#include <QCheckBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QTextStream>
#include <QVBoxLayout>
#include <algorithm>
#include <filesystem>

#include "app/gui/job_queue.h"
#include "core/eval/examples.h"
#include "core/eval/relevance.h"
#include "core/io/file_util.h"
#include "render/eval_plots.h"

namespace tl::app {

namespace {

// Methods checked by default: the paper's comparison (TensorLens In against attention
// aggregation), one gradient method and the random reference. Cheap on the embedded model.
const QStringList kDefaultMethods = {"tensorlens-in", "rollout", "attention-mean", "input-x-gradient", "random"};

QString interval(const eval::ConfidenceInterval& ci) {
  return QStringLiteral("%1  [%2, %3]").arg(ci.mean, 0, 'f', 3).arg(ci.low, 0, 'f', 3).arg(ci.high, 0, 'f', 3);
}

QStringList non_empty_lines(const QString& text) {
  QStringList lines;
  for (const QString& line : text.split('\n')) {
    const QString t = line.trimmed();
    if (!t.isEmpty() && !t.startsWith('#')) lines << line;
  }
  return lines;
}

}  // namespace

QStringList EvaluationView::bundledSentences() {
  QFile file(QStringLiteral(":/eval/sentences.txt"));
  if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) return {};
  return non_empty_lines(QString::fromUtf8(file.readAll()));
}

EvaluationView::EvaluationView(AppContext* context, QWidget* parent) : QWidget(parent), context_(context) {
  setObjectName(QStringLiteral("EvaluationView"));
  auto* intro = new QLabel(
      tr("<b>Perturbation test.</b> For each sentence the model's prediction is explained by each method; the most "
         "relevant tokens are replaced first (<i>positive</i> order: a good method makes the prediction collapse, "
         "lower AUC is better) or the least relevant first (<i>negative</i>: higher is better). AUC of the "
         "prediction's probability over removal fractions 0–0.9, with a 95% bootstrap interval."),
      this);
  intro->setWordWrap(true);

  sentences_ = new QPlainTextEdit(this);
  sentences_->setPlaceholderText(tr("One sentence per line (MLMs: mark the explained position with [MASK])"));
  sentences_->setPlainText(bundledSentences().join('\n'));
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

  table_ = new QTableWidget(0, 6, this);
  table_->setHorizontalHeaderLabels({tr("method"), tr("positive AUC ↓"), tr("negative AUC ↑"),
                                     tr("positive top-1 AUC ↓"), tr("negative top-1 AUC ↑"), tr("seconds")});
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
  left_layout->addWidget(new QLabel(tr("Sentences"), left));
  left_layout->addWidget(sentences_, 2);
  auto* file_row = new QHBoxLayout;
  file_row->addWidget(load);
  file_row->addWidget(max_sentences_);
  left_layout->addLayout(file_row);
  left_layout->addWidget(keep_last_);
  left_layout->addWidget(new QLabel(tr("Methods"), left));
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
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(intro);
  layout->addWidget(split, 1);

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

void EvaluationView::setSentences(const QStringList& lines) { sentences_->setPlainText(lines.join('\n')); }

void EvaluationView::setMethods(const QStringList& methods) {
  for (int i = 0; i < methods_->count(); ++i) {
    QListWidgetItem* item = methods_->item(i);
    item->setCheckState(methods.contains(item->text()) ? Qt::Checked : Qt::Unchecked);
  }
}

void EvaluationView::setRunning(bool running) {
  run_->setEnabled(!running);
  cancel_->setEnabled(running);
  export_->setEnabled(!running && report_ != nullptr);
}

void EvaluationView::run() {
  if (!context_->hasModel()) {
    message_->setText(tr("No model loaded."));
    return;
  }
  QStringList lines = non_empty_lines(sentences_->toPlainText());
  lines = lines.mid(0, max_sentences_->value());
  eval::PerturbationOptions options;
  for (int i = 0; i < methods_->count(); ++i) {
    if (methods_->item(i)->checkState() == Qt::Checked) options.methods.push_back(methods_->item(i)->text().toStdString());
  }
  if (lines.isEmpty() || options.methods.empty()) {
    message_->setText(tr("Choose at least one sentence and one method."));
    return;
  }
  const ModelSession session = context_->session();
  options.keep_last_token = keep_last_->isChecked() && session.model->spec.causal;
  std::vector<std::string> texts;
  for (const QString& line : lines) texts.push_back(line.toStdString());

  message_->setText(tr("Running %1 method(s) on %2 sentence(s)…").arg(options.methods.size()).arg(lines.size()));
  progress_->setValue(0);
  setRunning(true);
  context_->jobs().post(jobTag(), this, [this, session, texts, options](Progress& progress) -> std::function<void()> {
    auto examples = eval::make_examples(texts, *session.model, *session.tokenizer);
    if (!examples) {
      const QString error = QString::fromStdString(examples.error().message);
      return [this, error] {
        setRunning(false);
        message_->setText(tr("Sentences: %1").arg(error));
        emit finished(false);
      };
    }
    auto report = eval::run_perturbation(*session.model, session.tokenizer.get(), examples.value(), options, &progress);
    if (!report) {
      const QString error = QString::fromStdString(report.error().message);
      return [this, error] {
        setRunning(false);
        message_->setText(tr("Evaluation failed: %1").arg(error));
        emit finished(false);
      };
    }
    auto shared = std::make_shared<const eval::PerturbationReport>(std::move(report.value()));
    render::LinePlot plot = render::perturbation_plot(*shared);
    return [this, shared, plot] {
      report_ = shared;
      plot_spec_ = plot;
      setRunning(false);
      showReport();
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

void EvaluationView::showReport() {
  const eval::PerturbationReport& r = *report_;
  table_->setRowCount(static_cast<int>(r.methods.size()));
  for (int row = 0; row < table_->rowCount(); ++row) {
    const eval::MethodResult& m = r.methods[size_t(row)];
    const QStringList cells =
        m.error.empty()
            ? QStringList{QString::fromStdString(m.method), interval(m.positive.auc_probability),
                          interval(m.negative.auc_probability), interval(m.positive.auc_agreement),
                          interval(m.negative.auc_agreement),
                          QString::number(m.seconds_relevance + m.seconds_perturbation, 'f', 1)}
            : QStringList{QString::fromStdString(m.method), tr("failed: %1").arg(QString::fromStdString(m.error)), {}, {}, {}, {}};
    for (int c = 0; c < cells.size(); ++c) table_->setItem(row, c, new QTableWidgetItem(cells[c]));
  }
  drawPlot();
  message_->setText(tr("%1 sentences, replacement token %2, %3 s.")
                        .arg(r.sentences.size())
                        .arg(QString::fromStdString(r.replacement_label))
                        .arg(r.seconds, 0, 'f', 1));
}

void EvaluationView::drawPlot() {
  if (!report_) return;
  const QSize box = plot_->contentsRect().size().expandedTo(QSize(480, 320));
  // Text scaled with the panel (the figure's 14 px is for print size), kept legible.
  render::LinePlot plot = plot_spec_;
  plot.font_px = std::clamp(std::min(box.width() / 90.0, box.height() / 42.0), 8.0, plot_spec_.font_px);
  plot_->setPixmap(QPixmap::fromImage(render::render_line_plot(plot, box)));
}

bool EvaluationView::eventFilter(QObject* watched, QEvent* event) {
  if (watched == plot_ && event->type() == QEvent::Resize) drawPlot();
  return QWidget::eventFilter(watched, event);
}

Status EvaluationView::exportReport(const QString& json_path) const {
  if (!report_) return Error{"no evaluation report yet: run the test first"};
  const std::filesystem::path json = json_path.toStdString();
  std::filesystem::path md = json, png = json;
  md.replace_extension(".md");
  png.replace_extension(".png");
  for (const auto& p : {json, md, png}) {
    if (std::filesystem::exists(p)) return Error{"refusing to overwrite " + p.string()};
  }
  if (Status s = write_text_atomic(json, to_json(*report_).dump(2) + "\n"); !s.ok()) return s;
  if (Status s = write_text_atomic(md, eval::to_markdown(*report_)); !s.ok()) return s;
  QByteArray bytes;
  QBuffer buffer(&bytes);
  buffer.open(QIODevice::WriteOnly);
  // The exported curves at a fixed print size (the docs' figure), not the panel's.
  if (!render::render_line_plot(plot_spec_, QSize(1800, 1250)).save(&buffer, "PNG")) return Error{"could not encode the curves image"};
  return write_file_atomic(png, std::span(reinterpret_cast<const unsigned char*>(bytes.constData()), size_t(bytes.size())));
}

void EvaluationView::exportInteractive() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Export evaluation report"), QStringLiteral("perturbation.json"),
                                                    tr("JSON report (*.json)"), nullptr, QFileDialog::DontConfirmOverwrite);
  if (path.isEmpty()) return;
  if (Status s = exportReport(path); !s.ok()) {
    QMessageBox::warning(this, tr("Export"), QString::fromStdString(s.error().message));
  } else {
    message_->setText(tr("Wrote %1 (+ .md, .png)").arg(path));
  }
}

void EvaluationView::loadFile() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Sentence file"), {}, tr("Text (*.txt);;All files (*)"));
  if (path.isEmpty()) return;
  auto lines = eval::read_sentence_file(path.toStdString());
  if (!lines) {
    message_->setText(QString::fromStdString(lines.error().message));
    return;
  }
  QStringList list;
  for (const std::string& l : lines.value()) list << QString::fromStdString(l);
  setSentences(list);
  max_sentences_->setValue(static_cast<int>(list.size()));
}

}  // namespace tl::app
