#pragma once
// AnalysisView: the base of the views beside the main heatmap (layer-wise, comparison, Jacobian,
// logit lens, activations). Each view observes the AppContext, computes its content in one job on
// the context's JobQueue (its own tag, so a newer request replaces a queued one and cancels a
// running one), and shows the result when it comes back.
//
// Views are lazy: a change in the context only marks a view stale; it computes when it is shown
// (or at once when it is already visible), so hidden views cost nothing while the user types.
// Results of an older request are dropped (a request counter), like the context's generations.
#include <QLabel>
#include <QString>
#include <QWidget>
#include <functional>
#include <memory>

#include "app/gui/app_context.h"

namespace tl::app {

// A displayed map (analysis.h: displayed_map) coloured under a style (worker thread).
using CellColourer = std::function<std::shared_ptr<const RenderedCells>(const DisplayedMap&, const render::HeatmapStyle&)>;

class AnalysisView : public QWidget {
  Q_OBJECT
 public:
  AnalysisView(AppContext* context, QString name, QWidget* parent = nullptr);

  const QString& name() const { return name_; }  // "layers", "compare", ... (--view NAME)
  QString jobTag() const { return QStringLiteral("view:") + name_; }
  bool stale() const { return stale_; }
  bool hasContent() const { return has_content_; }
  // Marks the view stale and recomputes at once when it is visible.
  void invalidate();

 signals:
  // The view shows content for the current context (also after an error message).
  void ready();

 protected:
  // Posts the job (through post()) or shows a message and calls finished().
  virtual void recompute() = 0;
  void showEvent(QShowEvent* event) override;

  using Work = std::function<std::function<void()>(Progress&)>;
  // Colours maps inside the view's job (worker thread) the way the main heatmap does: Vulkan when
  // available, else the CPU rasteriser (AppContext::colourCells). Take it on the UI thread.
  CellColourer colourer() const;
  // Posts `work` under this view's tag; its continuation runs only if no newer request was made.
  void post(Work work);
  // Posts a recolouring of what is shown (a shared range moved) under a second tag, so it neither
  // replaces nor outdates the view's main job; its continuation must check that what it
  // recoloured is still what the view shows.
  void postRecolour(Work work);
  // Shows a one-line message in the view's status line (empty: hides it).
  void setMessage(const QString& text);
  // Call when the content (or an error message) is shown.
  void finished();

  AppContext* context_;
  QLabel* message_;  // created here; subclasses put it into their layout

 private:
  QString name_;
  bool stale_ = true;
  bool has_content_ = false;
  quint64 request_ = 0;
};

}  // namespace tl::app
