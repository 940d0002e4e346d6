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

engine::SessionPtr ModelOption::open_session(const InputOptions& in, const std::string& device,
                                             Precision precision) const {
  auto dev = std::make_shared<engine::Device>(device, precision);
  auto s = is_embedded() ? engine::Session::open_embedded(dev)
                         : engine::Session::open_folder(dir, dev, /*tokenizer_optional=*/!in.ids.empty());
  if (!s) throw CliError(s.error().message);
  return *s;
}

void InputOptions::add_to(CLI::App& cmd) {
  auto* t = cmd.add_option("--text", text, "input sentence");
  cmd.add_option("--text-pair", text_pair, "second sentence (encoders: segment B)")->needs(t);
  auto* i = cmd.add_option("--ids", ids, "token ids instead of text, e.g. --ids 1,403,407")->delimiter(',');
  cmd.add_option("--token-types", token_types, "token type ids for --ids, e.g. 0,0,1")->delimiter(',')->needs(i);
  t->excludes(i);
}

void check_output(const std::filesystem::path& path, bool force) {
  if (Status ok = check_output_path(path, overwrite_mode(force)); !ok) throw CliError(ok.error().message);
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

engine::Analysis analyse_input(const engine::Session& session, const InputOptions& in) {
  const Tokenizer* tok = session.tokenizer();
  Result<engine::Analysis> a = make_error("");
  if (!in.ids.empty()) {
    if (!in.token_types.empty() && in.token_types.size() != in.ids.size())
      throw CliError("--token-types has " + std::to_string(in.token_types.size()) + " entries, --ids has " +
                     std::to_string(in.ids.size()));
    ForwardInput forward;
    forward.ids = in.ids;
    forward.token_types = in.token_types;
    Encoding encoding;
    for (int id : in.ids) {
      encoding.ids.push_back(id);
      encoding.tokens.push_back(tok ? tok->id_to_token(id) : "#" + std::to_string(id));
      encoding.spans.push_back({0, 0});
      encoding.sequence.push_back(0);
      encoding.type_ids.push_back(0);
      encoding.special.push_back(tok && tok->is_special(id));
    }
    a = session.analyse("", std::move(encoding), std::move(forward));
  } else {
    if (in.text.empty()) throw CliError("the input has no tokens (give --text or --ids)");
    auto encoding = in.text_pair ? session.encode(in.text, std::string_view(*in.text_pair)) : session.encode(in.text);
    if (!encoding) throw CliError(encoding.error().message);
    if (encoding->ids.empty()) throw CliError("the input has no tokens (give --text or --ids)");
    a = session.analyse(in.text_pair ? in.text + "\n" + *in.text_pair : in.text, std::move(encoding.value()));
  }
  if (!a) throw CliError(a.error().message);
  return std::move(a.value());
}

}  // namespace tl::cli
