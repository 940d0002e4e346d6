#pragma once
// AppContext: the state every panel observes (model session, text, tokenization, the analysis of
// the text, the chosen block, the heatmap style, the selected pair) and the one place that posts
// work to the JobQueue. Panels call setters and react to signals; they never talk to each other.
// Everything is computed by the engine session (core/engine/session.h) on its one device, which
// also colours the heatmaps (View > Compute device decides both).
//
// Flow: setText() tokenizes at once (cheap; chips update while typing), then posts the forward
// pass ("analysis", latest wins). Its result posts the map job ("map"), which also runs alone when
// the method, scope, block or shared-scale option changes; a new map or style posts the cells job
// ("cells": colours the map on the GPU through render/'s Vulkan path, or on the CPU when Vulkan is
// missing or fails). Results that belong to an older text or model (a generation counter) are
// dropped.
#include <QObject>
#include <QPoint>
#include <QString>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

#include "app/gui/displayed_map.h"
#include "app/gui/job_queue.h"
#include "app/gui/shared_scales.h"
#include "core/engine/device.h"
#include "render/heatmap.h"

namespace tl::app {

class AppContext : public QObject {
  Q_OBJECT
 public:
  explicit AppContext(QObject* parent = nullptr);
  ~AppContext() override;

  // Model. Loading runs on the worker; modelChanged or errorOccurred follows.
  void loadEmbeddedModel();
  void openModelFolder(const QString& folder);
  // An already opened session (tests, the two-model window); it computes on this context's device.
  void setSession(const SessionPtr& session);
  const SessionPtr& session() const { return session_; }
  bool hasModel() const { return session_ != nullptr; }

  // Text and its tokenization (immediate).
  void setText(const QString& text);
  const QString& text() const { return text_; }
  const Encoding& encoding() const { return encoding_; }
  const std::vector<std::string>& tokenLabels() const { return token_labels_; }

  // The analysis of the current text (null while none has finished).
  std::shared_ptr<const Analysis> analysis() const { return analysis_; }

  // What the heatmap shows: a registry method, its scope, block (1-based) and head. Each setter
  // keeps the choice valid for the method and the model (see normalised()).
  void setMethod(const QString& name);
  void setScope(Scope scope);
  void setBlock(int block);
  void setHead(int head);
  // Target token (vocabulary id) of the Out maps and explained predictions; -1 = the prediction.
  void setTarget(int token_id);
  const MapChoice& mapChoice() const { return choice_; }
  int block() const { return choice_.block; }
  int numBlocks() const;

  void setStyle(const render::HeatmapStyle& style);
  const render::HeatmapStyle& style() const { return style_; }
  // Shared colour scale: every view colours maps of one method family and sign (scale_family) with
  // the union of the ranges the views draw (SharedScales); the main heatmap adds all blocks of its
  // method and scope under the current style.
  void setSharedScale(bool shared);
  bool sharedScale() const { return shared_scale_; }
  // The ranges views share; the two slots of the two-model window share one (shareScalesWith).
  SharedScales& scales() const { return *scales_; }
  void shareScalesWith(AppContext* other);
  // The shared range of a family when sharedScale() is on and some view has drawn that family.
  std::optional<render::ValueRange> sharedRange(const std::string& family) const;
  // The shared range of the current map's family (nullopt when off, or before the map).
  std::optional<render::ValueRange> sharedRange() const;
  // The style the view should draw with: style() plus the shared range when enabled.
  render::HeatmapStyle effectiveStyle() const;

  std::shared_ptr<const Map> map() const { return map_; }
  // The current map coloured under effectiveStyle() (null while none).
  std::shared_ptr<const RenderedCells> cells() const { return cells_; }
  // Colour cells with Vulkan when a device is available (default; TL_RENDERER=cpu turns it off).
  void setPreferVulkan(bool prefer);
  bool preferVulkan() const { return prefer_vulkan_; }

  // Where everything is computed and coloured (an engine::Device: "auto", "cpu" or a device
  // selector, core/engine/device_policy.h); changing it analyses the text again there.
  void setComputeDevice(const QString& choice);
  QString computeDevice() const;
  engine::Device& device() const { return *device_; }
  // Worker thread only (inside jobs): a map coloured under a style, with Vulkan when `prefer_vulkan`
  // and a device works, else by the CPU rasteriser; `vulkan_problem` (may be null) gets why Vulkan
  // was not used. The main heatmap and every analysis view colour their maps here.
  std::shared_ptr<RenderedCells> colourCells(std::shared_ptr<const Map> map, const render::HeatmapStyle& style,
                                             const render::SpecialTokens& special, bool prefer_vulkan,
                                             QString* vulkan_problem = nullptr);
  // colourCells for a displayed map (analysis.h: displayed_map): the cells keep its words.
  std::shared_ptr<RenderedCells> colourDisplayed(const DisplayedMap& shown, const render::HeatmapStyle& style,
                                                 bool prefer_vulkan, QString* vulkan_problem = nullptr);
  const render::SpecialTokens& specialTokens() const { return special_; }

  // Selected (row i, column j) pair of the map; (-1, -1) when none.
  void setSelectedPair(int i, int j);
  int selectedRow() const { return selected_i_; }
  int selectedCol() const { return selected_j_; }

  bool busy() const { return busy_; }
  JobQueue& jobs() { return *jobs_; }

 signals:
  void modelChanged();
  void textChanged();
  void encodingChanged();
  void analysisChanged();
  void mapChanged();
  void mapChoiceChanged();
  void cellsChanged();
  void styleChanged();
  void selectionChanged();
  void busyChanged(bool busy);
  void progressChanged(double fraction, const QString& what);
  void errorOccurred(const QString& message);
  // The forward pass, the map and its cells for the current text are all in (screenshots, tests).
  void analysisFinished();

 private:
  void retokenize();
  void postAnalysis();
  void postMap();
  void postCells();
  void setChoice(MapChoice choice);
  void setBusy(bool busy);
  void connectScales();
  void sharedRangesChanged();

  JobQueue* jobs_;
  SessionPtr session_;
  QString text_;
  Encoding encoding_;
  std::vector<std::string> token_labels_;
  std::shared_ptr<const Analysis> analysis_;
  std::shared_ptr<const Map> map_;
  std::shared_ptr<const RenderedCells> cells_;
  bool prefer_vulkan_ = true;
  std::shared_ptr<engine::Device> device_;
  mutable std::mutex device_mutex_;  // guards device_ for colourCells on the worker thread
  std::atomic<bool> vulkan_failed_{false};  // colouring failed on this device: the CPU draws
  std::shared_ptr<SharedScales> scales_;
  render::SpecialTokens special_;
  render::HeatmapStyle style_;
  bool shared_scale_ = false;
  MapChoice choice_;
  int selected_i_ = -1, selected_j_ = -1;
  bool busy_ = false;
  quint64 generation_ = 0;  // bumped by every new text or model
};

}  // namespace tl::app
