#pragma once
// The main window: sentence and token chips on top, the map controls and the heatmap in the
// middle, model information and predictions in docks, progress and the hovered cell in the status
// bar. Menus: File (open a model folder, the embedded model, models in the Hugging Face cache,
// export the view in front, export every layer), View (zoom, compare models). The Model dock has a picker over the same models.
#include <QMainWindow>

#include "app/gui/app_context.h"
#include "render/export.h"

class QLabel;
class QMenu;
class QProgressBar;
class QToolButton;

namespace tl::app {

class AnalysisViews;
class FidelityLabel;
class CompareModelsWindow;
class HeatmapView;
class MapControls;
class ModelPicker;
class ModelInfoPanel;
class PredictionsPanel;
class SentencePanel;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  // restore_settings = false gives the same window every time (screenshots, tests).
  explicit MainWindow(AppContext* context, bool restore_settings = true, QWidget* parent = nullptr);

  HeatmapView* heatmap() const { return heatmap_; }
  AnalysisViews* views() const { return views_; }  // the heatmap and the analysis views, as tabs
  FidelityLabel* fidelity() const { return fidelity_; }
  SentencePanel* sentencePanel() const { return sentence_; }
  PredictionsPanel* predictionsPanel() const { return predictions_; }
  ModelInfoPanel* modelPanel() const { return model_info_; }
  ModelPicker* modelPicker() const { return model_picker_; }
  MapControls* mapControls() const { return controls_; }

  // Opens the two-model window (View > Compare models), starting from this window's model/text.
  CompareModelsWindow* openComparison();

  // Exports the view in front (the heatmap or an analysis view, app/gui/view_export.h): a figure
  // (.png, .svg, .pdf) or its numbers (.csv, .npy), with its provenance file.
  Status exportView(const QString& path, const render::ExportOptions& options);
  // Writes one file per block of the current method into `dir` on the worker thread (progress in
  // the status bar, Cancel stops it); everyLayerExported follows. False (with the message in the
  // status bar) when it could not start.
  bool exportEveryLayer(const QString& dir, render::ExportFormat format, const render::ExportOptions& options);

 signals:
  // The every-layer export ended: written, failed or cancelled (message says which).
  void everyLayerExported(bool ok, const QString& message);

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void buildMenus();
  void openModelFolder();
  void exportViewInteractive();
  void exportEveryLayerInteractive();
  void finishEveryLayer(bool ok, const QString& message);
  void showMap();
  void showCompute();  // the compute device line of the status bar
  void fillComputeDeviceMenu(QMenu* menu);
  void showSelection();
  void saveSettings() const;
  void restoreSettings();

  AppContext* context_;
  bool use_settings_;
  SentencePanel* sentence_;
  MapControls* controls_;
  HeatmapView* heatmap_;
  AnalysisViews* views_;
  ModelInfoPanel* model_info_;
  ModelPicker* model_picker_;
  PredictionsPanel* predictions_;
  QLabel* status_text_;
  QLabel* hover_text_;
  QLabel* compute_text_;
  QLabel* renderer_text_;
  FidelityLabel* fidelity_;
  QProgressBar* progress_;
  QToolButton* cancel_;
  bool exporting_layers_ = false;  // an every-layer export is running
};

}  // namespace tl::app
