#include "core/eval/perturbation.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>
#include <sstream>

#include "core/autodiff/tape.h"
#include "core/backend/cpu_backend.h"
#include "core/eval/relevance.h"
#include "core/util/progress.h"
#include "core/methods/method_common.h"
#include "core/util/rng.h"

namespace tl::eval {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Probability of `token` at `position` and whether it is still the argmax.
std::pair<double, bool> prediction_at(const Trace& t, int position, int token) {
  const Eigen::RowVectorXd logits = t.logits.row(position);
  const double mx = logits.maxCoeff();
  const double z = (logits.array() - mx).exp().sum();
  Eigen::Index best = 0;
  logits.maxCoeff(&best);
  return {std::exp(logits[token] - mx) / z, int(best) == token};
}

std::string label_of(const Tokenizer* tok, int id) { return tok ? tok->display_token(id) : "#" + std::to_string(id); }

OrderResult summarise(const std::vector<Curves>& per_sentence, const std::vector<double>& fractions,
                      const PerturbationOptions& o) {
  OrderResult r;
  const size_t f = fractions.size();
  r.mean.probability.assign(f, 0.0);
  r.mean.agreement.assign(f, 0.0);
  for (const Curves& c : per_sentence) {
    for (size_t k = 0; k < f; ++k) {
      r.mean.probability[k] += c.probability[k] / double(per_sentence.size());
      r.mean.agreement[k] += c.agreement[k] / double(per_sentence.size());
    }
    r.sentence_auc_probability.push_back(trapezoid_auc(fractions, c.probability));
    r.sentence_auc_agreement.push_back(trapezoid_auc(fractions, c.agreement));
  }
  // The same seed for every method and order: all resample the same sentences, so intervals of
  // different methods are comparable (paired).
  r.auc_probability = bootstrap_mean_ci(r.sentence_auc_probability, o.bootstrap_resamples, o.seed, o.ci_level);
  r.auc_agreement = bootstrap_mean_ci(r.sentence_auc_agreement, o.bootstrap_resamples, o.seed, o.ci_level);
  return r;
}

}  // namespace

const char* to_string(Order o) { return o == Order::Positive ? "positive" : "negative"; }

std::vector<double> default_fractions() {
  std::vector<double> f;
  for (int k = 0; k < 10; ++k) f.push_back(k / 10.0);
  return f;
}

int removed_count(double fraction, int removable) {
  return std::clamp(int(std::floor(fraction * removable + 0.5)), 0, removable);
}

std::vector<int> removal_order(const EvalExample& example, const Eigen::VectorXd& relevance, Order order) {
  std::vector<int> idx;
  for (int j = 0; j < int(example.removable.size()); ++j)
    if (example.removable[size_t(j)]) idx.push_back(j);
  std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) {
    return order == Order::Positive ? relevance[a] > relevance[b] : relevance[a] < relevance[b];
  });
  return idx;
}

Result<Curves> perturbation_curves(const Model& model, const EvalExample& example, int predicted,
                                   const Eigen::VectorXd& relevance, Order order, const std::vector<double>& fractions,
                                   int replacement_token) {
  const int n = int(example.input.ids.size());
  if (relevance.size() != n) {
    return make_error("perturbation: " + std::to_string(relevance.size()) + " relevance values for " + std::to_string(n) +
                      " tokens");
  }
  const std::vector<int> order_idx = removal_order(example, relevance, order);
  const int m = int(order_idx.size());
  Curves c;
  std::map<int, std::pair<double, bool>> by_count;  // fractions that round to the same count share a pass
  for (double f : fractions) {
    const int k = removed_count(f, m);
    auto it = by_count.find(k);
    if (it == by_count.end()) {
      ForwardInput in = example.input;
      for (int r = 0; r < k; ++r) in.ids[size_t(order_idx[size_t(r)])] = replacement_token;
      auto t = forward(model, in);
      if (!t) return t.error();
      it = by_count.emplace(k, prediction_at(*t, example.position, predicted)).first;
    }
    c.probability.push_back(it->second.first);
    c.agreement.push_back(it->second.second ? 1.0 : 0.0);
  }
  return c;
}

Result<PerturbationReport> run_perturbation(const Model& model, const Tokenizer* tokenizer,
                                            const std::vector<EvalExample>& examples,
                                            const PerturbationOptions& o, Progress* progress) {
  const auto t_start = Clock::now();
  if (examples.empty()) return make_error("perturbation: no sentences");
  if (o.methods.empty()) return make_error("perturbation: no methods");
  for (const std::string& name : o.methods) {
    if (!is_relevance_method(name)) {
      std::string known;
      for (const std::string& k : relevance_methods()) known += (known.empty() ? "" : ", ") + k;
      return make_error("perturbation: '" + name + "' is not a relevance method (known: " + known + ")");
    }
  }
  for (size_t k = 0; k < o.fractions.size(); ++k) {
    if (o.fractions[k] < 0 || o.fractions[k] >= 1 || (k > 0 && o.fractions[k] <= o.fractions[k - 1]))
      return make_error("perturbation: fractions must increase within [0, 1)");
  }
  PerturbationReport rep;
  rep.model = model.name + " (" + model.source + ")";
  rep.replacement_token = o.replacement_token >= 0 ? o.replacement_token : methods::neutral_token(model, tokenizer);
  if (rep.replacement_token >= model.spec.vocab_size)
    return make_error("perturbation: replacement token " + std::to_string(rep.replacement_token) + " is outside the vocabulary");
  rep.replacement_label = label_of(tokenizer, rep.replacement_token);
  rep.keep_last_token = o.keep_last_token && model.spec.causal;
  rep.fractions = o.fractions;
  rep.bootstrap_resamples = o.bootstrap_resamples;
  rep.seed = o.seed;
  rep.ci_level = o.ci_level;

  std::unique_ptr<CpuBackend> own_backend;
  Backend* backend = o.backend;
  if (!backend) {
    own_backend = std::make_unique<CpuBackend>();
    backend = own_backend.get();
  }
  auto weights = std::make_shared<const autodiff::DoubleWeights>(model);

  const size_t nm = o.methods.size(), ns = examples.size();
  rep.methods.resize(nm);
  std::vector<std::vector<Curves>> pos(nm), neg(nm);
  for (size_t m = 0; m < nm; ++m) {
    rep.methods[m].method = o.methods[m];
    const MethodInfo* info = find_method(o.methods[m]);
    rep.methods[m].is_signed = info && info->is_signed;
  }
  for (size_t s = 0; s < ns; ++s) {
    EvalExample ex = examples[s];
    if (o.keep_last_token && model.spec.causal && ex.position >= 0 && ex.position < int(ex.removable.size()))
      ex.removable[size_t(ex.position)] = false;
    const std::string where = "sentence " + std::to_string(s + 1);
    auto trace = forward(model, ex.input);
    if (!trace) return make_error(where + ": " + trace.error().message);
    const int n = trace->num_tokens();
    if (ex.position < 0 || ex.position >= n || int(ex.removable.size()) != n)
      return make_error(where + ": explained position or removable mask does not fit its " + std::to_string(n) + " tokens");
    SentenceInfo info;
    info.text = ex.text;
    info.tokens = n;
    info.removable = int(std::count(ex.removable.begin(), ex.removable.end(), true));
    info.position = ex.position;
    Eigen::Index best = 0;
    trace->logits.row(ex.position).maxCoeff(&best);
    info.predicted = int(best);
    info.predicted_label = label_of(tokenizer, info.predicted);
    info.probability = prediction_at(*trace, ex.position, info.predicted).first;
    rep.sentences.push_back(info);

    MethodInputs in;
    in.model = &model;
    in.trace = &trace.value();
    in.input = ex.input;
    in.tokenizer = tokenizer;
    in.text = ex.text;
    in.backend = backend;
    in.derivative_weights = weights;
    for (size_t m = 0; m < nm; ++m) {
      MethodResult& mr = rep.methods[m];
      if (!mr.error.empty()) continue;
      const double from = double(s * nm + m) / double(ns * nm), to = double(s * nm + m + 1) / double(ns * nm);
      if (progress) {
        if (progress->cancelled()) throw Cancelled{};
        progress->report(from, where + "/" + std::to_string(ns) + ": " + mr.method);
      }
      auto t0 = Clock::now();
      Result<Eigen::VectorXd> rel = Error{};
      if (mr.method == kRandomReference) {
        rel = random_relevance(n, mix_seed(o.seed, s));
      } else {
        const nlohmann::json opts = o.method_options.is_object() && o.method_options.contains(mr.method)
                                        ? o.method_options[mr.method]
                                        : nlohmann::json::object();
        ProgressSlice slice(progress, from, from + 0.8 * (to - from));
        rel = relevance_of(mr.method, in, ex.position, info.predicted, opts, progress ? &slice : nullptr);
      }
      mr.seconds_relevance += seconds_since(t0);
      if (!rel) {
        mr.error = where + ": " + rel.error().message;
        continue;
      }
      t0 = Clock::now();
      auto p = perturbation_curves(model, ex, info.predicted, *rel, Order::Positive, o.fractions, rep.replacement_token);
      if (!p) return p.error();
      auto q = perturbation_curves(model, ex, info.predicted, *rel, Order::Negative, o.fractions, rep.replacement_token);
      if (!q) return q.error();
      mr.seconds_perturbation += seconds_since(t0);
      pos[m].push_back(std::move(p).value());
      neg[m].push_back(std::move(q).value());
    }
  }
  for (size_t m = 0; m < nm; ++m) {
    if (!rep.methods[m].error.empty()) continue;
    rep.methods[m].positive = summarise(pos[m], o.fractions, o);
    rep.methods[m].negative = summarise(neg[m], o.fractions, o);
  }
  if (progress) progress->report(1.0, "done");
  rep.seconds = seconds_since(t_start);
  return rep;
}

nlohmann::ordered_json to_json(const PerturbationReport& r) {
  nlohmann::ordered_json j;
  j["protocol"] = "perturbation (docs/TENSORLENS.md section 7): replace round(f * M) removable tokens by the replacement token, "
                  "most relevant first (positive: lower AUC is better) or least relevant first (negative: higher is better); "
                  "AUC by the trapezoid rule over the fractions, bootstrap percentile CI over sentences";
  j["model"] = r.model;
  j["replacement_token"] = {{"id", r.replacement_token}, {"label", r.replacement_label}};
  j["keep_last_token"] = r.keep_last_token;
  j["fractions"] = r.fractions;
  j["bootstrap"] = {{"resamples", r.bootstrap_resamples}, {"seed", r.seed}, {"level", r.ci_level}};
  j["seconds"] = r.seconds;
  nlohmann::ordered_json sentences = nlohmann::ordered_json::array();
  for (const SentenceInfo& s : r.sentences) {
    sentences.push_back({{"text", s.text},
                         {"tokens", s.tokens},
                         {"removable", s.removable},
                         {"position", s.position},
                         {"predicted", {{"id", s.predicted}, {"label", s.predicted_label}}},
                         {"probability", s.probability}});
  }
  nlohmann::ordered_json methods = nlohmann::ordered_json::array();
  for (const MethodResult& m : r.methods) {
    nlohmann::ordered_json mj;
    mj["method"] = m.method;
    mj["signed"] = m.is_signed;
    mj["seconds_relevance"] = m.seconds_relevance;
    mj["seconds_perturbation"] = m.seconds_perturbation;
    if (!m.error.empty()) {
      mj["error"] = m.error;
    } else {
      for (const auto& [name, o] : {std::pair{"positive", &m.positive}, std::pair{"negative", &m.negative}}) {
        mj[name] = {{"probability_curve", o->mean.probability},
                    {"agreement_curve", o->mean.agreement},
                    {"auc_probability", to_json(o->auc_probability)},
                    {"auc_agreement", to_json(o->auc_agreement)},
                    {"sentence_auc_probability", o->sentence_auc_probability},
                    {"sentence_auc_agreement", o->sentence_auc_agreement}};
      }
    }
    methods.push_back(mj);
  }
  j["sentences"] = sentences;
  j["methods"] = methods;
  return j;
}

namespace {

std::string fmt(double v, int digits = 3) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(digits);
  os << v;
  return os.str();
}

std::string with_ci(const ConfidenceInterval& ci) { return fmt(ci.mean) + " [" + fmt(ci.low) + ", " + fmt(ci.high) + "]"; }

}  // namespace

std::string to_markdown(const PerturbationReport& r) {
  std::ostringstream os;
  double mean_p = 0;
  for (const SentenceInfo& s : r.sentences) mean_p += s.probability / double(r.sentences.size());
  os << "Model: " << r.model << ". Sentences: " << r.sentences.size() << ". Replacement token: `"
     << r.replacement_label << "` (id " << r.replacement_token << "). Removal fractions: ";
  for (size_t k = 0; k < r.fractions.size(); ++k) os << (k ? ", " : "") << fmt(r.fractions[k], 1);
  if (r.keep_last_token) os << ". The last token (the explained position) is never replaced";
  os << ". Mean probability of the original prediction before removal: " << fmt(mean_p) << ".\n\n";
  os << "AUC by the trapezoid rule over the fractions (at most " << fmt(r.fractions.empty() ? 0 : r.fractions.back() - r.fractions.front(), 1)
     << "), mean over sentences with a " << int(std::lround(100 * r.ci_level)) << "% percentile bootstrap interval ("
     << r.bootstrap_resamples << " resamples of the sentences, seed " << r.seed
     << "). Positive order (most relevant removed first): lower is better. Negative order (least relevant first): "
        "higher is better.\n\n";
  os << "| method | positive AUC, probability (lower better) | negative AUC, probability (higher better) | "
        "positive AUC, top-1 agreement | negative AUC, top-1 agreement | seconds (relevance + perturbation) |\n";
  os << "|---|---|---|---|---|---|\n";
  for (const MethodResult& m : r.methods) {
    if (!m.error.empty()) {
      os << "| " << m.method << " | failed: " << m.error << " | | | | " << fmt(m.seconds_relevance, 1) << " |\n";
      continue;
    }
    os << "| " << m.method << (m.is_signed ? " (signed)" : "") << " | " << with_ci(m.positive.auc_probability) << " | "
       << with_ci(m.negative.auc_probability) << " | " << with_ci(m.positive.auc_agreement) << " | "
       << with_ci(m.negative.auc_agreement) << " | " << fmt(m.seconds_relevance, 1) << " + "
       << fmt(m.seconds_perturbation, 1) << " |\n";
  }
  return os.str();
}

Result<std::vector<PairedDifference>> paired_differences(const PerturbationReport& r, std::string_view reference) {
  const MethodResult* ref = nullptr;
  for (const MethodResult& m : r.methods)
    if (m.method == reference && m.error.empty()) ref = &m;
  if (!ref) return make_error("perturbation: reference method '" + std::string(reference) + "' is not in the report (or failed)");
  auto diff = [](const std::vector<double>& a, const std::vector<double>& b) {
    std::vector<double> d;
    for (size_t k = 0; k < a.size() && k < b.size(); ++k) d.push_back(a[k] - b[k]);
    return d;
  };
  std::vector<PairedDifference> out;
  for (const MethodResult& m : r.methods) {
    if (&m == ref || !m.error.empty()) continue;
    PairedDifference p;
    p.method = m.method;
    p.positive = bootstrap_mean_ci(diff(m.positive.sentence_auc_probability, ref->positive.sentence_auc_probability),
                                   r.bootstrap_resamples, r.seed, r.ci_level);
    p.negative = bootstrap_mean_ci(diff(m.negative.sentence_auc_probability, ref->negative.sentence_auc_probability),
                                   r.bootstrap_resamples, r.seed, r.ci_level);
    out.push_back(std::move(p));
  }
  return out;
}

std::string paired_markdown(const PerturbationReport& r, std::string_view reference) {
  auto diffs = paired_differences(r, reference);
  if (!diffs) return diffs.error().message + "\n";
  std::ostringstream os;
  os << "Paired differences of the probability AUC, method minus `" << reference << "` (mean over sentences, "
     << int(std::lround(100 * r.ci_level)) << "% bootstrap interval of the per-sentence differences). Positive order: "
     << "a positive difference means `" << reference << "` is better; negative order: a negative difference means `"
     << reference << "` is better.\n\n";
  os << "| method | positive AUC difference | negative AUC difference |\n|---|---|---|\n";
  auto signed_fmt = [](double v) { return (v >= 0 ? "+" : "") + fmt(v); };
  for (const PairedDifference& p : *diffs) {
    os << "| " << p.method << " | " << signed_fmt(p.positive.mean) << " [" << signed_fmt(p.positive.low) << ", "
       << signed_fmt(p.positive.high) << "] | " << signed_fmt(p.negative.mean) << " [" << signed_fmt(p.negative.low) << ", "
       << signed_fmt(p.negative.high) << "] |\n";
  }
  return os.str();
}

}  // namespace tl::eval
