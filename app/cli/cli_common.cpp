#include "app/cli/cli_common.h"

#include <sstream>

namespace tl::cli {

void ModelOption::add_to(CLI::App& cmd) {
  cmd.add_option("--model", dir, "Hugging Face model folder (default: the embedded stories260K)");
}

std::shared_ptr<const Model> ModelOption::load_model() const {
  auto m = is_embedded() ? load_embedded_model() : tl::load_model(dir);
  if (!m) throw CliError(m.error().message);
  return *m;
}

Tokenizer ModelOption::load_tokenizer() const {
  auto t = is_embedded() ? Tokenizer::embedded() : Tokenizer::from_dir(dir);
  if (!t) throw CliError(t.error().message);
  return std::move(t).value();
}

std::unique_ptr<Tokenizer> ModelOption::load_tokenizer_for(const InputOptions& in) const {
  auto t = is_embedded() ? Tokenizer::embedded() : Tokenizer::from_dir(dir);
  if (t) return std::make_unique<Tokenizer>(std::move(t).value());
  if (!in.ids.empty()) return nullptr;
  throw CliError(t.error().message);
}

void InputOptions::add_to(CLI::App& cmd) {
  auto* t = cmd.add_option("--text", text, "input sentence");
  cmd.add_option("--text-pair", text_pair, "second sentence (encoders: segment B)")->needs(t);
  auto* i = cmd.add_option("--ids", ids, "token ids instead of text, e.g. --ids 1,403,407")->delimiter(',');
  cmd.add_option("--token-types", token_types, "token type ids for --ids, e.g. 0,0,1")->delimiter(',')->needs(i);
  t->excludes(i);
}

std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\r') out += "\\r";
    else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else out += static_cast<char>(c);
  }
  return out;
}

std::vector<int> parse_int_list(const std::string& s) {
  std::vector<int> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      std::size_t used = 0;
      out.push_back(std::stoi(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw CliError("not an integer list: '" + s + "'");
    }
  }
  return out;
}

PreparedInput prepare_input(const InputOptions& in, const Tokenizer* tok, const Model& model) {
  PreparedInput p;
  if (!in.ids.empty()) {
    p.forward.ids = in.ids;
    p.forward.token_types = in.token_types;
    if (!in.token_types.empty() && in.token_types.size() != in.ids.size())
      throw CliError("--token-types has " + std::to_string(in.token_types.size()) + " entries, --ids has " +
                     std::to_string(in.ids.size()));
    for (int id : in.ids) {
      p.encoding.ids.push_back(id);
      p.encoding.tokens.push_back(tok ? tok->id_to_token(id) : "#" + std::to_string(id));
      p.encoding.spans.push_back({0, 0});
      p.encoding.sequence.push_back(0);
      p.encoding.type_ids.push_back(0);
      p.encoding.special.push_back(tok && tok->is_special(id));
    }
  } else {
    p.text = in.text;
    p.encoding = in.text_pair ? tok->encode_pair(in.text, *in.text_pair) : tok->encode(in.text);
    if (in.text_pair) p.text += "\n" + *in.text_pair;
    p.forward.ids = p.encoding.ids;
    if (model.spec.type_vocab_size > 1) p.forward.token_types = p.encoding.type_ids;
  }
  if (p.forward.ids.empty()) throw CliError("the input has no tokens (give --text or --ids)");
  for (int id : p.forward.ids) p.labels.push_back(tok ? tok->display_token(id) : "#" + std::to_string(id));
  return p;
}

Trace run_forward(const Model& model, const PreparedInput& in, Precision precision) {
  ForwardOptions opt;
  opt.precision = precision;
  auto t = forward(model, in.forward, opt);
  if (!t) throw CliError(t.error().message);
  return std::move(t).value();
}

}  // namespace tl::cli
