#pragma once
// What File > Export writes for the view in front: each view's content rebuilt as a
// render::ViewExport (the figure from render/ primitives, so PNG/SVG/PDF match the CLI's and stay
// vector with labels as text; the matrices behind it for CSV/NPY; provenance naming the view, the
// model, the sentence's tokens and the display options). Built from what the views show, through
// their public accessors, so the views themselves only gain read access.
//
//   heatmap      the main map as drawn (words summed when that option is on); numbers: that map
//   layers       every tile on the shared scale; numbers: all tiles ([tiles, N, N] in NPY)
//   compare      method A, method B, their difference; numbers: the three maps
//   jacobian     the TensorLens and the true Jacobian block on one scale, singular values; numbers: both blocks
//   logit-lens   probability of each position's final prediction per stage, top token in each
//                cell; numbers: the rank (0 = top) and the probability, positions x stages
//   activations  hidden-state norms, tokens x layers; numbers: that map
// The evaluation view has its own export (its report); asking here says so.
#include "app/gui/app_context.h"
#include "render/export.h"
#include "render/layer_series_export.h"

namespace tl::app {

class AnalysisViews;

// The export of the named view (AnalysisViews::names()). Errors: nothing shown yet, unknown name.
Result<render::ViewExport> view_export(const QString& name, const AnalysisViews& views, const AppContext& context);

// Every block of the context's method (the layer-wise view's scope: per block when the method has
// it and the user chose it, else blocks 1..l), ready for render::export_layer_series. Runs the
// method: call on the worker thread. Words are summed when the style says so.
Result<render::LayerSeriesExport> every_layer_series(const SessionPtr& session, const Analysis& analysis,
                                                     const MapChoice& choice, const render::HeatmapStyle& style,
                                                     render::ExportFormat format, Progress* progress = nullptr);

}  // namespace tl::app
