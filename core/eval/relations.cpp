#include "core/eval/relations.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/autodiff/derivatives.h"
#include "core/backend/cpu_backend.h"
#include "core/forward/forward.h"
#include "core/forward/ops.h"
#include "core/lens/planner.h"
#include "core/lens/propagate.h"

namespace tl::eval {

namespace {

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  const size_t b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

int argmax(const Eigen::VectorXd& v) {
  Eigen::Index best = 0;
  v.maxCoeff(&best);
  return int(best);
}

// One pair's forward pass and where the subject and the prediction are.
struct PairPoint {
  std::string prompt;
  Trace trace;
  int subject_position = -1;
  int last = -1;
  int object_token = -1;
};

Result<PairPoint> prepare_pair(const Model& model, const Tokenizer& tok, const Relation& rel, const RelationPair& p) {
  const std::string where = "relation '" + rel.name + "', subject '" + p.subject + "'";
  const size_t slot = rel.prompt_template.find("{}");
  PairPoint pt;
  pt.prompt = rel.prompt_template.substr(0, slot) + p.subject + rel.prompt_template.substr(slot + 2);
  const size_t subject_begin = slot, subject_end = slot + p.subject.size();
  const Encoding enc = tok.encode(pt.prompt);
  for (size_t i = 0; i < enc.ids.size(); ++i) {
    const auto [b, e] = enc.spans[i];
    if (!enc.special[i] && size_t(b) < subject_end && size_t(e) > subject_begin) pt.subject_position = int(i);
  }
  if (pt.subject_position < 0) return make_error(where + ": no token of the subject in the prompt '" + pt.prompt + "'");
  const Encoding full = tok.encode(pt.prompt + " " + p.object);
  if (full.ids.size() <= enc.ids.size() || !std::equal(enc.ids.begin(), enc.ids.end(), full.ids.begin())) {
    return make_error(where + ": the prompt's tokens are not a prefix of the prompt followed by ' " + p.object + "'");
  }
  pt.object_token = full.ids[enc.ids.size()];
  ForwardInput in;
  in.ids = enc.ids;
  auto t = forward(model, in);
  if (!t) return make_error(where + ": " + t.error().message);
  pt.trace = std::move(t).value();
  pt.last = pt.trace.num_tokens() - 1;
  return pt;
}

}  // namespace

Result<std::vector<Relation>> parse_relations(std::string_view text, std::string_view source_name) {
  std::vector<Relation> out;
  std::istringstream is{std::string(text)};
  std::string line;
  int number = 0;
  const std::string src(source_name);
  auto at = [&] { return src + ":" + std::to_string(number) + ": "; };
  while (std::getline(is, line)) {
    ++number;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("relation:", 0) == 0) {
      out.push_back(Relation{trim(line.substr(9)), "", {}});
      if (out.back().name.empty()) return make_error(at() + "a relation needs a name");
      continue;
    }
    if (out.empty()) return make_error(at() + "expected 'relation: <name>' first");
    Relation& r = out.back();
    if (line.rfind("template:", 0) == 0) {
      r.prompt_template = trim(line.substr(9));
      if (r.prompt_template.find("{}") == std::string::npos) return make_error(at() + "the template needs {} for the subject");
      continue;
    }
    const size_t arrow = line.find("->");
    if (arrow == std::string::npos) return make_error(at() + "expected 'subject -> object', 'template:' or 'relation:'");
    RelationPair p{trim(line.substr(0, arrow)), trim(line.substr(arrow + 2))};
    if (p.subject.empty() || p.object.empty()) return make_error(at() + "empty subject or object");
    r.pairs.push_back(std::move(p));
  }
  for (const Relation& r : out) {
    if (r.prompt_template.empty()) return make_error(src + ": relation '" + r.name + "' has no template");
    if (r.pairs.size() < 2) return make_error(src + ": relation '" + r.name + "' needs at least two pairs (the estimators leave one out)");
  }
  if (out.empty()) return make_error(src + ": no relations");
  return out;
}

Result<std::vector<Relation>> read_relations_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return make_error(path.string() + ": cannot open the relations file");
  std::stringstream ss;
  ss << file.rdbuf();
  return parse_relations(ss.str(), path.string());
}

MatD stage_jacobian(const Model& model, const Trace& trace, int stage, int output, int input) {
  const autodiff::Tape tape(model, trace);
  const int n = trace.num_tokens(), d = model.spec.hidden_size, L = trace.num_layers();
  // D tangents stacked [D*N, D]: direction b is the unit vector e_b at token `input`.
  MatD tangent = MatD::Zero(Eigen::Index(d) * n, d);
  for (int b = 0; b < d; ++b) tangent(Eigen::Index(b) * n + input, b) = 1.0;
  for (int layer = stage + 1; layer <= L; ++layer) tangent = autodiff::block_jvp(tape, layer, tangent);
  MatD jac(d, d);
  for (int b = 0; b < d; ++b) jac.col(b) = tangent.row(Eigen::Index(b) * n + output).transpose();
  return jac;
}

Result<MatD> stage_lens_block(const Model& model, const Trace& trace, int stage, int output, int input, Backend& backend) {
  const int n = trace.num_tokens(), d = model.spec.hidden_size, L = trace.num_layers();
  if (stage < 0 || stage >= L) return make_error("lens block: stage " + std::to_string(stage) + " outside 0.." + std::to_string(L - 1));
  if (model.spec.causal && input > output) return MatD(MatD::Zero(d, d));
  auto seg = lens::build_segment(model, trace, stage + 1, L, false, lens::InputEnd::ResidualStream);
  if (!seg) return seg.error();
  // One column slice: the identity at `input`, pushed forward through blocks stage+1..L (the same
  // pass as lens::compute_pair_block, over a block range that starts after block 1).
  const lens::ModelDims dims = lens::model_dims(model.spec, n, lens::GatedFfn::Gate);
  lens::PropagationOptions opts{Precision::Float64, lens::GatedFfn::Gate, false, false};
  lens::Propagator prop(backend, model, trace, seg.value(), opts);
  auto st = prop.make_state(lens::forward_counts(dims, input, 1, d, false), false);
  if (!st) return st.error();
  lens::StreamState& s = st.value();
  backend.upload_rows(MatD::Identity(d, d), *s.x, s.layout.offset[size_t(input)]);
  if (auto r = prop.forward(s, {}); !r) return r.error();
  // Token `output`'s rows are input features e, columns output features d.
  return MatD(backend.download_rows(*s.x, s.layout.offset[size_t(output)], d).transpose());
}

Eigen::VectorXd decode_last_block(const Model& model, const Eigen::VectorXd& z) {
  const ModelSpec& s = model.spec;
  const Weights& w = model.weights;
  MatD x = z.transpose();
  if (s.final_norm) {
    MatD normed;
    VecD inv;
    ops::normalize<double>(s.norm, x, w.final_norm.gamma.cast<double>(), w.final_norm.beta.cast<double>(), s.norm_eps, normed, inv);
    x = normed;
  }
  Eigen::VectorXd logits = w.unembedding().cast<double>() * x.row(0).transpose();
  if (w.lm_head_bias.size()) logits += w.lm_head_bias.cast<double>();
  return logits;
}

Result<RelationReport> run_relations(const Model& model, const Tokenizer& tok, const std::vector<Relation>& relations,
                                     const RelationOptions& o, Progress* progress) {
  if (!model.spec.causal) return make_error("relations: causal language models only (" + model.name + " is an encoder)");
  const int L = model.spec.num_layers;
  RelationReport rep;
  rep.model = model.name + " (" + model.source + ")";
  rep.beta = o.beta;
  rep.layers = o.layers;
  if (rep.layers.empty())
    for (int l = 0; l < L; ++l) rep.layers.push_back(l);
  for (int l : rep.layers)
    if (l < 0 || l >= L) return make_error("relations: layer " + std::to_string(l) + " outside 0.." + std::to_string(L - 1));
  std::unique_ptr<CpuBackend> own_backend;
  Backend* backend = o.backend;
  if (!backend) {
    own_backend = std::make_unique<CpuBackend>(1);
    backend = own_backend.get();
  }
  size_t total = 0, done = 0;
  for (const Relation& r : relations) total += r.pairs.size();
  const size_t nl = rep.layers.size();
  for (const Relation& rel : relations) {
    if (rel.pairs.size() < 2) return make_error("relation '" + rel.name + "' needs at least two pairs");
    RelationResult rr;
    rr.name = rel.name;
    rr.prompt_template = rel.prompt_template;
    const size_t np = rel.pairs.size();
    // Per pair and layer: s, z, J, T.
    std::vector<std::vector<VecD>> s(np, std::vector<VecD>(nl));
    std::vector<VecD> z(np);
    std::vector<std::vector<MatD>> jac(np, std::vector<MatD>(nl)), blk(np, std::vector<MatD>(nl));
    rr.mean_relative_gap.assign(nl, 0.0);
    for (size_t k = 0; k < np; ++k) {
      if (progress) {
        if (progress->cancelled()) throw Cancelled{};
        progress->report(double(done++) / double(total), rel.name + ": " + rel.pairs[k].subject);
      }
      auto pt = prepare_pair(model, tok, rel, rel.pairs[k]);
      if (!pt) return pt.error();
      PairOutcome po;
      po.subject = rel.pairs[k].subject;
      po.object = rel.pairs[k].object;
      po.prompt = pt->prompt;
      po.object_token = pt->object_token;
      po.model_prediction = argmax(pt->trace.logits.row(pt->last).transpose());
      po.model_label = tok.display_token(po.model_prediction);
      rr.model_accuracy += (po.model_prediction == po.object_token) / double(np);
      z[k] = pt->trace.blocks.back().output.row(pt->last).transpose();
      for (size_t li = 0; li < nl; ++li) {
        const int l = rep.layers[li];
        s[k][li] = pt->trace.hidden_state(l).row(pt->subject_position).transpose();
        jac[k][li] = stage_jacobian(model, pt->trace, l, pt->last, pt->subject_position);
        auto b = stage_lens_block(model, pt->trace, l, pt->last, pt->subject_position, *backend);
        if (!b) return b.error();
        blk[k][li] = std::move(b).value();
        const double jn = jac[k][li].norm();
        rr.mean_relative_gap[li] += (jn > 0 ? (jac[k][li] - blk[k][li]).norm() / jn : 0.0) / double(np);
      }
      rr.pairs.push_back(std::move(po));
    }
    rr.lre_faithfulness.assign(nl, 0.0);
    rr.lens_faithfulness.assign(nl, 0.0);
    rr.lre_accuracy.assign(nl, 0.0);
    rr.lens_accuracy.assign(nl, 0.0);
    for (size_t li = 0; li < nl; ++li) {
      for (size_t k = 0; k < np; ++k) {
        // Leave pair k out of the fit.
        auto estimate = [&](const std::vector<std::vector<MatD>>& m) {
          const int d = int(z[k].size());
          MatD w = MatD::Zero(d, d);
          VecD b = VecD::Zero(d);
          for (size_t q = 0; q < np; ++q) {
            if (q == k) continue;
            w += m[q][li];
            b += z[q] - m[q][li] * s[q][li];
          }
          w /= double(np - 1);
          b /= double(np - 1);
          return argmax(decode_last_block(model, o.beta * (w * s[k][li]) + b));
        };
        PairOutcome& po = rr.pairs[k];
        po.lre_prediction.push_back(estimate(jac));
        po.lens_prediction.push_back(estimate(blk));
        rr.lre_faithfulness[li] += (po.lre_prediction.back() == po.model_prediction) / double(np);
        rr.lens_faithfulness[li] += (po.lens_prediction.back() == po.model_prediction) / double(np);
        rr.lre_accuracy[li] += (po.lre_prediction.back() == po.object_token) / double(np);
        rr.lens_accuracy[li] += (po.lens_prediction.back() == po.object_token) / double(np);
      }
    }
    rep.relations.push_back(std::move(rr));
  }
  if (progress) progress->report(1.0, "done");
  return rep;
}

nlohmann::ordered_json to_json(const RelationReport& r) {
  nlohmann::ordered_json j;
  j["protocol"] = "relation decoding: LRE (mean true Jacobian dz/ds) vs the TensorLens block T[last, :, subject, :], "
                  "fitted leave-one-out per relation, z_hat = beta W s + b decoded through the final norm and unembedding; "
                  "faithfulness = agreement with the model's top-1 prediction";
  j["model"] = r.model;
  j["subject_stages"] = r.layers;
  j["beta"] = r.beta;
  nlohmann::ordered_json rels = nlohmann::ordered_json::array();
  for (const RelationResult& rr : r.relations) {
    nlohmann::ordered_json rj;
    rj["relation"] = rr.name;
    rj["template"] = rr.prompt_template;
    rj["pairs"] = rr.pairs.size();
    rj["model_accuracy"] = rr.model_accuracy;
    rj["lre_faithfulness"] = rr.lre_faithfulness;
    rj["lens_faithfulness"] = rr.lens_faithfulness;
    rj["lre_accuracy"] = rr.lre_accuracy;
    rj["lens_accuracy"] = rr.lens_accuracy;
    rj["mean_relative_gap_jacobian_vs_lens"] = rr.mean_relative_gap;
    nlohmann::ordered_json pairs = nlohmann::ordered_json::array();
    for (const PairOutcome& p : rr.pairs) {
      pairs.push_back({{"subject", p.subject},
                       {"object", p.object},
                       {"prompt", p.prompt},
                       {"object_token", p.object_token},
                       {"model_prediction", {{"id", p.model_prediction}, {"label", p.model_label}}},
                       {"lre_prediction", p.lre_prediction},
                       {"lens_prediction", p.lens_prediction}});
    }
    rj["pair_outcomes"] = pairs;
    rels.push_back(rj);
  }
  j["relations"] = rels;
  return j;
}

std::string to_markdown(const RelationReport& r) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(2);
  os << "Model: " << r.model << ". beta = " << r.beta
     << ". Faithfulness = share of pairs whose estimate decodes to the model's own top-1 prediction "
        "(leave-one-out fit per relation); accuracy = share decoding to the object's first token.\n\n";
  os << "| relation | pairs | model accuracy | subject stage | LRE faithfulness | TensorLens faithfulness | LRE accuracy | "
        "TensorLens accuracy | mean ||J - T||_F / ||J||_F |\n|---|---|---|---|---|---|---|---|---|\n";
  for (const RelationResult& rr : r.relations) {
    for (size_t li = 0; li < r.layers.size(); ++li) {
      os << "| " << rr.name << " | " << rr.pairs.size() << " | " << rr.model_accuracy << " | " << r.layers[li] << " | "
         << rr.lre_faithfulness[li] << " | " << rr.lens_faithfulness[li] << " | " << rr.lre_accuracy[li] << " | "
         << rr.lens_accuracy[li] << " | " << rr.mean_relative_gap[li] << " |\n";
    }
  }
  return os.str();
}

}  // namespace tl::eval
