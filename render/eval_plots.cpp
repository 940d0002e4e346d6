#include "render/eval_plots.h"

#include "core/eval/relevance.h"

namespace tl::render {

LinePlot perturbation_plot(const eval::PerturbationReport& r) {
  LinePlot plot;
  plot.title = QStringLiteral("Perturbation test: %1 sentences%2")
                   .arg(r.sentences.size())
                   .arg(r.keep_last_token ? QStringLiteral(", last token kept") : QString());
  plot.subtitle = QStringLiteral("%1; replacement token '%2' (id %3); positive order: most relevant removed first "
                                 "(lower is better), negative: least relevant first (higher is better)")
                      .arg(QString::fromStdString(r.model), QString::fromStdString(r.replacement_label))
                      .arg(r.replacement_token);
  struct Spec {
    const char* title;
    bool positive;
    bool probability;
  };
  const Spec specs[] = {{"positive order: probability of the prediction", true, true},
                        {"negative order: probability of the prediction", false, true},
                        {"positive order: top-1 agreement", true, false},
                        {"negative order: top-1 agreement", false, false}};
  for (const Spec& s : specs) {
    LinePanel panel;
    panel.title = QString::fromUtf8(s.title);
    panel.x_label = QStringLiteral("fraction of tokens removed");
    panel.y_label = s.probability ? QStringLiteral("mean probability") : QStringLiteral("top-1 agreement");
    panel.x_min = r.fractions.empty() ? 0 : r.fractions.front();
    panel.x_max = r.fractions.empty() ? 1 : r.fractions.back();
    panel.y_min = 0;
    panel.y_max = s.probability ? 0 : 1;  // probability: fit the data (often far below 1)
    for (const eval::MethodResult& m : r.methods) {
      if (!m.error.empty()) continue;
      const eval::OrderResult& o = s.positive ? m.positive : m.negative;
      LineSeries series;
      series.name = QString::fromStdString(m.method);
      series.x = r.fractions;
      series.y = s.probability ? o.mean.probability : o.mean.agreement;
      if (m.method == eval::kRandomReference) {
        series.color = Qt::black;
        series.dashed = true;
      }
      panel.series.push_back(std::move(series));
    }
    if (s.probability) {
      // Fit the probability axis from 0 to the highest value.
      double hi = 0;
      for (const LineSeries& ls : panel.series)
        for (double v : ls.y) hi = std::max(hi, v);
      panel.y_max = hi > 0 ? hi * 1.05 : 1;
    }
    plot.panels.push_back(std::move(panel));
  }
  plot.columns = 2;
  return plot;
}

LinePlot identifiability_plot(const eval::IdentifiabilityReport& r) {
  LinePlot plot;
  plot.title = QStringLiteral("Token identifiability: %1 sentences, %2 hidden states per stage").arg(r.sentences).arg(r.hidden_states);
  plot.subtitle = QString::fromStdString(r.model) +
                  QStringLiteral("; share of hidden states whose nearest input embedding is their own token");
  LinePanel panel;
  panel.title = QStringLiteral("identified share per stage");
  panel.x_label = QStringLiteral("stage (0 = embeddings)");
  panel.y_label = QStringLiteral("share identified");
  panel.y_min = 0;
  panel.y_max = 1;
  panel.x_min = 0;
  panel.x_max = double(r.stages.size() > 1 ? r.stages.size() - 1 : 1);
  for (size_t k = 0; k < r.stages.size(); ++k) panel.x_tick_labels.push_back(QString::number(k));
  LineSeries cos{QStringLiteral("cosine"), {}, {}, QColor(0x1f77b4), false, true};
  LineSeries l2{QStringLiteral("L2"), {}, {}, QColor(0xd62728), true, true};
  for (size_t k = 0; k < r.stages.size(); ++k) {
    cos.x.push_back(double(k));
    cos.y.push_back(r.share_cosine[k]);
    l2.x.push_back(double(k));
    l2.y.push_back(r.share_l2[k]);
  }
  panel.series = {cos, l2};
  plot.panels.push_back(std::move(panel));
  plot.columns = 1;
  return plot;
}

}  // namespace tl::render
