#pragma once
// The evaluation reports (core/eval) as line plots (render/line_plot.h), shared by
// `tensorlens-cli eval ... --plot` and the app.
#include "core/eval/identifiability.h"
#include "core/eval/perturbation.h"
#include "render/line_plot.h"

namespace tl::render {

// Four panels: probability of the original prediction and top-1 agreement, each for the positive
// (most relevant removed first) and negative order, against the removal fraction; one series per
// method (the random reference dashed black), AUCs in the legend of the positive panels.
LinePlot perturbation_plot(const eval::PerturbationReport& report);

// One panel: identified share per stage, cosine and L2.
LinePlot identifiability_plot(const eval::IdentifiabilityReport& report);

}  // namespace tl::render
