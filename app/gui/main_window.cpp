#include "app/gui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QLabel>
#include <QActionGroup>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QRegularExpression>
#include <QSettings>
#include <QStatusBar>
#include <QToolButton>
#include <QVBoxLayout>

#include "app/gui/analysis_views.h"
#include "app/gui/compare_models.h"
#include "app/gui/export_dialog.h"
#include "core/gpu/gpu.h"
#include "app/gui/fidelity_label.h"
#include "app/gui/heatmap_view.h"
#include "app/gui/item_models.h"
#include "app/gui/model_list.h"
#include "app/gui/panels.h"
#include "app/gui/view_export.h"
#include "core/util/progress.h"
#include "render/export.h"
#include "render/figure.h"

namespace tl::app {

MainWindow::MainWindow(AppContext* context, bool restore_settings, QWidget* parent)
    : QMainWindow(parent), context_(context), use_settings_(restore_settings) {
  setWindowTitle(tr("TensorLens Studio"));
  setObjectName(QStringLiteral("MainWindow"));

  auto* central = new QWidget(this);
  auto* layout = new QVBoxLayout(central);
  sentence_ = new SentencePanel(context_, central);
  controls_ = new MapControls(context_, central);
  heatmap_ = new HeatmapView(central);
  layout->addWidget(sentence_);
  layout->addWidget(controls_);
  views_ = new AnalysisViews(context_, heatmap_, central);
  layout->addWidget(views_, 1);
  setCentralWidget(central);

  auto* model_dock = new QDockWidget(tr("Model"), this);
  model_dock->setObjectName(QStringLiteral("ModelDock"));
  // The model picker (embedded, Hugging Face cache, folder) above what the loaded model is.
  auto* model_box = new QWidget(model_dock);
  auto* model_layout = new QVBoxLayout(model_box);
  model_layout->setContentsMargins(0, 0, 0, 0);
  model_picker_ = new ModelPicker(context_, model_box);
  model_info_ = new ModelInfoPanel(context_, model_box);
  model_layout->addWidget(model_picker_);
  model_layout->addWidget(model_info_, 1);
  model_dock->setWidget(model_box);
  addDockWidget(Qt::LeftDockWidgetArea, model_dock);
  auto* predictions_dock = new QDockWidget(tr("Predictions"), this);
  predictions_dock->setObjectName(QStringLiteral("PredictionsDock"));
  predictions_ = new PredictionsPanel(context_, predictions_dock);
  predictions_dock->setWidget(predictions_);
  addDockWidget(Qt::LeftDockWidgetArea, predictions_dock);
  resizeDocks({model_dock, predictions_dock}, {300, 300}, Qt::Horizontal);

  status_text_ = new QLabel(this);
  hover_text_ = new QLabel(this);
  fidelity_ = new FidelityLabel(context_, this);
  compute_text_ = new QLabel(this);
  renderer_text_ = new QLabel(this);
  renderer_text_->setToolTip(tr("Who coloured the heatmap cells: Vulkan, or the CPU when Vulkan is unavailable "
                                "(TL_RENDERER=cpu forces the CPU)"));
  progress_ = new QProgressBar(this);
  progress_->setRange(0, 0);  // busy indicator: single forward passes report no fractions
  progress_->setMaximumWidth(140);
  progress_->setVisible(false);
  cancel_ = new QToolButton(this);
  cancel_->setText(tr("Cancel"));
  cancel_->setToolTip(tr("Cancel the running computation"));
  cancel_->setVisible(false);
  statusBar()->addWidget(status_text_, 1);
  statusBar()->addPermanentWidget(hover_text_);
  statusBar()->addPermanentWidget(fidelity_);
  statusBar()->addPermanentWidget(compute_text_);
  statusBar()->addPermanentWidget(renderer_text_);
  statusBar()->addPermanentWidget(progress_);
  statusBar()->addPermanentWidget(cancel_);

  buildMenus();

  connect(context_, &AppContext::cellsChanged, this, &MainWindow::showMap);
  connect(context_, &AppContext::analysisChanged, this, &MainWindow::showCompute);
  connect(context_, &AppContext::mapChanged, this, &MainWindow::showCompute);
  connect(context_, &AppContext::selectionChanged, this, &MainWindow::showSelection);
  connect(heatmap_, &HeatmapView::cellSelected, this, [this](int i, int j) {
    // The view may show words (several tokens summed): the context keeps token indices.
    const auto cells = context_->cells();
    if (cells && i >= 0) context_->setSelectedPair(cells->tokenRow(i), cells->tokenCol(j));
    else context_->setSelectedPair(i, j);
  });
  connect(heatmap_, &HeatmapView::cellHovered, this, [this](int i, int j) {
    const auto map = heatmap_->map();
    if (!map || i < 0) {
      hover_text_->clear();
      return;
    }
    hover_text_->setText(tr("(%1, %2)  %3 \u2190 %4  %5")
                             .arg(i)
                             .arg(j)
                             .arg(chip_text(map->row_labels[static_cast<std::size_t>(i)]))
                             .arg(chip_text(map->col_labels[static_cast<std::size_t>(j)]))
                             .arg(render::format_value(map->values(i, j))));
  });
  connect(context_, &AppContext::busyChanged, this, [this](bool busy) {
    progress_->setVisible(busy);
    cancel_->setVisible(busy);
    if (!busy) status_text_->setText(tr("Ready"));
  });
  connect(context_, &AppContext::progressChanged, this, [this](double, const QString& what) {
    status_text_->setText(what + QStringLiteral("\u2026"));
  });
  connect(context_, &AppContext::errorOccurred, this, [this](const QString& message) {
    status_text_->setText(tr("Error: %1").arg(message));
  });
  connect(cancel_, &QToolButton::clicked, this, [this] {
    for (const char* tag : {"model", "analysis", "map"}) context_->jobs().cancel(QString::fromLatin1(tag));
    for (const QString& tag : views_->jobTags()) context_->jobs().cancel(tag);
    if (exporting_layers_) {
      context_->jobs().cancel(QStringLiteral("export"));
      finishEveryLayer(false, tr("Every-layer export cancelled (the files already written are complete)"));
    }
  });
  connect(context_, &AppContext::modelChanged, this, [this] {
    setWindowTitle(tr("%1 \u2014 TensorLens Studio").arg(QString::fromStdString(context_->session()->display_name())));
  });

  resize(1400, 900);
  if (use_settings_) restoreSettings();
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  QAction* open = file->addAction(tr("&Open model folder\u2026"), this, &MainWindow::openModelFolder);
  open->setShortcut(QKeySequence::Open);
  open->setStatusTip(tr("A folder with config.json, model.safetensors and a tokenizer"));
  file->addAction(tr("Use the &embedded model (stories260K)"), context_, &AppContext::loadEmbeddedModel);
  QMenu* cache = file->addMenu(tr("&Hugging Face cache"));
  cache->setToolTipsVisible(true);
  connect(cache, &QMenu::aboutToShow, this, [this, cache] { model_picker_->fillCacheMenu(cache); });
  file->addSeparator();
  QAction* exp = file->addAction(tr("&Export view\u2026"), this, &MainWindow::exportViewInteractive);
  exp->setShortcut(QKeySequence(tr("Ctrl+E")));
  exp->setStatusTip(tr("The view in front as PNG, SVG or PDF, or its numbers as CSV or NPY, with a provenance file beside it"));
  QAction* every = file->addAction(tr("Export every &layer\u2026"), this, &MainWindow::exportEveryLayerInteractive);
  every->setShortcut(QKeySequence(tr("Ctrl+Shift+E")));
  every->setStatusTip(tr("One file per block of the current method into a folder, with one provenance file"));
  file->addSeparator();
  QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);

  QMenu* view = menuBar()->addMenu(tr("&View"));
  QAction* zin = view->addAction(tr("Zoom &in"), this, [this] { heatmap_->setZoom(heatmap_->zoom() * 1.25, heatmap_->rect().center()); });
  zin->setShortcut(QKeySequence::ZoomIn);
  QAction* zout = view->addAction(tr("Zoom &out"), this, [this] { heatmap_->setZoom(heatmap_->zoom() / 1.25, heatmap_->rect().center()); });
  zout->setShortcut(QKeySequence::ZoomOut);
  QAction* zreset = view->addAction(tr("&Reset zoom"), this, [this] { heatmap_->resetView(); });
  zreset->setShortcut(QKeySequence(tr("Ctrl+0")));
  view->addSeparator();
  for (int k = 0; k < views_->count(); ++k) {  // the heatmap and the analysis views: Ctrl+1, Ctrl+2, ...
    QAction* a = view->addAction(views_->tabText(k).remove(QLatin1Char('&')), this, [this, k] { views_->setCurrentIndex(k); });
    a->setShortcut(QKeySequence(tr("Ctrl+%1").arg(k + 1)));
    a->setStatusTip(views_->tabToolTip(k));
  }
  view->addSeparator();
  QMenu* device = view->addMenu(tr("Compute &device"));
  device->setToolTipsVisible(true);
  connect(device, &QMenu::aboutToShow, this, [this, device] { fillComputeDeviceMenu(device); });
  QAction* compare = view->addAction(tr("&Compare models…"), this, [this] { openComparison(); });
  compare->setShortcut(QKeySequence(tr("Ctrl+Shift+M")));
  compare->setStatusTip(tr("Two models side by side on the same sentence, views kept in step"));

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&Keyboard and mouse"), this, [this] {
    QMessageBox::information(this, tr("Keyboard and mouse"),
                             tr("Heatmap: wheel zooms, drag pans, double-click resets, click selects a pair.\n"
                                "Arrow keys move the selection, Home/End jump within the row,\n"
                                "+ / - zoom around the selection, 0 resets the zoom, Esc clears the selection.\n"
                                "Token chips: click one to select its row."));
  });
  help->addAction(tr("&About"), this, [this] {
    QMessageBox::about(this, tr("About TensorLens Studio"),
                       tr("TensorLens Studio %1\nInspect transformers through the TensorLens operator.").arg(QStringLiteral(TL_VERSION)));
  });
}

CompareModelsWindow* MainWindow::openComparison() {
  // Its own window with its own two model slots; it starts from this window's model and text.
  auto* w = new CompareModelsWindow(context_->session(), context_->text(), context_->mapChoice(), this);
  w->setWindowFlag(Qt::Window);
  w->setAttribute(Qt::WA_DeleteOnClose);
  w->show();
  return w;
}

void MainWindow::openModelFolder() {
  const QString dir = QFileDialog::getExistingDirectory(this, tr("Open model folder"));
  if (!dir.isEmpty()) context_->openModelFolder(dir);
}

void MainWindow::showMap() {
  const auto cells = context_->cells();
  heatmap_->setCells(cells);
  showSelection();
  renderer_text_->setText(cells ? tr("cells: %1").arg(cells->renderer) : QString());
}

void MainWindow::showSelection() {
  const auto cells = context_->cells();
  const int i = context_->selectedRow(), j = context_->selectedCol();
  if (cells && i >= 0) heatmap_->setSelection(cells->displayRow(i), cells->displayCol(j));
  else heatmap_->setSelection(i, j);
}

Status MainWindow::exportView(const QString& path, const render::ExportOptions& options) {
  auto view = view_export(views_->currentViewName(), *views_, *context_);
  if (!view) return view.error();
  return render::export_view(path.toStdString(), view.value(), options);
}

void MainWindow::exportViewInteractive() {
  const QString name = views_->currentViewName();
  auto view = view_export(name, *views_, *context_);
  if (!view) {
    status_text_->setText(tr("Nothing to export: %1").arg(QString::fromStdString(view.error().message)));
    return;
  }
  const Map* first = view->data.empty() ? nullptr : view->data.front().get();
  QString suggestion = name == QLatin1String("heatmap") && first
                           ? QString::fromStdString(first->provenance.method + " " + first->provenance.layers)
                           : name;
  suggestion.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9._-]+")), QStringLiteral("_"));
  ExportDialog dialog(QDir::current().filePath(suggestion + QStringLiteral(".png")), this);
  if (dialog.exec() != QDialog::Accepted) return;
  const Status s = exportView(dialog.path(), dialog.options());
  status_text_->setText(s ? tr("Exported %1 (and %1.provenance.json)").arg(dialog.path())
                          : tr("Export failed: %1").arg(QString::fromStdString(s.error().message)));
}

bool MainWindow::exportEveryLayer(const QString& dir, render::ExportFormat format, const render::ExportOptions& options) {
  const auto analysis = context_->analysis();
  if (!analysis || !analysis->trace || !context_->hasModel()) {
    status_text_->setText(tr("Nothing to export yet: type a sentence."));
    return false;
  }
  if (exporting_layers_) {
    status_text_->setText(tr("An every-layer export is already running."));
    return false;
  }
  exporting_layers_ = true;
  context_->jobs().post(QStringLiteral("export"), this,
                        [this, session = context_->session(), analysis, choice = context_->mapChoice(), style = context_->style(),
                         dir, format, options](Progress& progress) -> JobQueue::Continuation {
                          ProgressSlice compute(&progress, 0.0, 0.5), write(&progress, 0.5, 1.0);
                          auto series = every_layer_series(session, *analysis, choice, style, format, &compute);
                          Status s = series ? render::export_layer_series(dir.toStdString(), series.value(), options, &write)
                                            : Status(series.error());
                          const QString message =
                              s ? tr("Exported %1 files of %2 into %3 (and %4)")
                                      .arg(series->maps.size())
                                      .arg(QString::fromStdString(choice.method), dir,
                                           QString::fromStdString(render::series_provenance_path({}, series.value()).string()))
                                : tr("Every-layer export failed: %1").arg(QString::fromStdString(s.error().message));
                          return [this, ok = s.ok(), message] { finishEveryLayer(ok, message); };
                        });
  return true;
}

void MainWindow::finishEveryLayer(bool ok, const QString& message) {
  if (!exporting_layers_) return;  // already reported (cancelled)
  exporting_layers_ = false;
  status_text_->setText(message);
  emit everyLayerExported(ok, message);
}

void MainWindow::exportEveryLayerInteractive() {
  ExportDialog dialog(QDir::current().filePath(QString::fromStdString(context_->mapChoice().method) + QStringLiteral("-layers")),
                      this, ExportDialog::Target::Folder);
  if (dialog.exec() != QDialog::Accepted || !dialog.format()) return;
  exportEveryLayer(dialog.path(), *dialog.format(), dialog.options());
}

void MainWindow::saveSettings() const {
  QSettings settings;
  settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
  settings.setValue(QStringLiteral("window/state"), saveState());
  settings.setValue(QStringLiteral("session/text"), context_->text());
  const MapChoice& c = context_->mapChoice();
  settings.setValue(QStringLiteral("session/method"), QString::fromStdString(c.method));
  settings.setValue(QStringLiteral("session/scope"), int(c.scope));
  settings.setValue(QStringLiteral("session/block"), c.block);
  settings.setValue(QStringLiteral("session/head"), c.head);
  const auto& s = context_->style();
  settings.setValue(QStringLiteral("heatmap/colormap"), int(s.colormap));
  settings.setValue(QStringLiteral("heatmap/row_normalise"), s.row_normalise);
  settings.setValue(QStringLiteral("heatmap/log_scale"), s.log_scale);
  settings.setValue(QStringLiteral("heatmap/hide_special"), s.hide_special);
  settings.setValue(QStringLiteral("heatmap/group_words"), s.group_words);
  settings.setValue(QStringLiteral("heatmap/shared_scale"), context_->sharedScale());
}

void MainWindow::restoreSettings() {
  QSettings settings;
  restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
  restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
  render::HeatmapStyle s;
  s.colormap = static_cast<render::ColormapChoice>(settings.value(QStringLiteral("heatmap/colormap"), 0).toInt());
  s.row_normalise = settings.value(QStringLiteral("heatmap/row_normalise"), false).toBool();
  s.log_scale = settings.value(QStringLiteral("heatmap/log_scale"), false).toBool();
  s.hide_special = settings.value(QStringLiteral("heatmap/hide_special"), true).toBool();
  s.group_words = settings.value(QStringLiteral("heatmap/group_words"), false).toBool();
  context_->setStyle(s);
  context_->setSharedScale(settings.value(QStringLiteral("heatmap/shared_scale"), false).toBool());
  if (settings.contains(QStringLiteral("session/method"))) {
    context_->setMethod(settings.value(QStringLiteral("session/method")).toString());
    const int scope = settings.value(QStringLiteral("session/scope")).toInt();
    if (scope >= int(Scope::Block) && scope <= int(Scope::EndToEnd)) context_->setScope(static_cast<Scope>(scope));
    context_->setBlock(settings.value(QStringLiteral("session/block"), 1).toInt());
    context_->setHead(settings.value(QStringLiteral("session/head"), 0).toInt());
  }
  if (settings.contains(QStringLiteral("session/text"))) context_->setText(settings.value(QStringLiteral("session/text")).toString());
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (use_settings_) saveSettings();
  event->accept();
}

void MainWindow::fillComputeDeviceMenu(QMenu* menu) {
  menu->clear();
  auto* group = new QActionGroup(menu);
  const QString current = context_->computeDevice();
  auto add = [&](const QString& label, const QString& choice, const QString& tip) {
    QAction* a = menu->addAction(label, this, [this, choice] {
      context_->setComputeDevice(choice);
      QSettings().setValue(QStringLiteral("compute/device"), choice);
    });
    a->setCheckable(true);
    a->setChecked(choice == current);
    a->setToolTip(tip);
    group->addAction(a);
  };
  add(tr("Automatic"), QStringLiteral("auto"), tr("A GPU when Vulkan has one, else the CPU backend"));
  add(tr("CPU backend"), QStringLiteral("cpu"), tr("Eigen on the CPU, every precision"));
  auto devices = gpu::list_devices();
  if (!devices) {
    menu->addSeparator();
    menu->addAction(tr("No Vulkan: %1").arg(QString::fromStdString(devices.error().message)))->setEnabled(false);
    return;
  }
  for (const auto& d : *devices) {
    if (!d.has_compute_queue) continue;
    add(tr("%1 (%2, %3 MiB)")
            .arg(QString::fromStdString(d.name), QString::fromLatin1(gpu::device_kind_name(d.kind)))
            .arg(d.device_local_bytes() >> 20),
        QString::number(d.index), tr("Vulkan device %1").arg(d.index));
  }
}

void MainWindow::showCompute() {
  const engine::Device& device = context_->device();
  const QString note = QString::fromStdString(device.note());
  compute_text_->setText(device.on_gpu() ? tr("compute: GPU") : tr("compute: CPU"));
  compute_text_->setToolTip(note + tr("\nView > Compute device chooses where analyses run."));
}

}  // namespace tl::app

