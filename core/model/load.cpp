// load_model / load_model_from_memory / load_embedded_model: config.json -> ModelSpec, then the
// safetensors tensors -> canonical Weights through the family table (architectures.cpp).
#include "core/io/file_util.h"
#include "core/io/safetensors.h"
#include "core/model/architectures.h"
#include "core/model/embedded_model.h"
#include "core/model/model.h"
#include "core/util/memory_info.h"

namespace tl {

namespace {

constexpr std::size_t kMaxConfigBytes = 16 << 20;

Result<std::shared_ptr<const Model>> build_model(ModelSpec spec, const TensorStore& store, std::string source,
                                                 std::string name) {
  // Weights are converted to float32: refuse a model that cannot fit before allocating any of it.
  const auto params = static_cast<std::uint64_t>(spec.parameter_count());
  if (auto fits = check_memory_fits(params * sizeof(float), read_meminfo(), source,
                                    std::to_string(params) + " parameters as float32");
      !fits)
    return fits.error();
  spec.stored_dtype = store.dominant_float_dtype();
  auto weights = load_weights(spec, store);
  if (!weights) return weights.error();
  // Every read was checked; this also catches a file rewritten in place (same size) meanwhile.
  if (Status st = store.check_unchanged(); !st) return st.error();
  auto model = std::make_shared<Model>();
  model->spec = std::move(spec);
  model->weights = std::move(weights.value());
  model->source = std::move(source);
  model->name = std::move(name);
  return std::shared_ptr<const Model>(std::move(model));
}

// "tiny-gpt2" for "/x/tiny-gpt2" and "/x/tiny-gpt2/".
std::string folder_name(const std::filesystem::path& dir) {
  auto p = dir.lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  auto name = p.filename().string();
  return name.empty() ? p.string() : name;
}

}  // namespace

Result<std::shared_ptr<const Model>> load_model(const std::filesystem::path& dir) {
  if (Status st = check_folder(dir); !st) return st.error();
  const auto config_path = dir / "config.json";
  // "no config.json" only when it is missing; a symlink loop or an unreadable folder says so.
  auto exists = path_exists(config_path);
  if (!exists) return exists.error();
  if (!exists.value()) return make_error(dir.string() + ": no config.json");
  auto text = read_text_file(config_path, kMaxConfigBytes);
  if (!text) return text.error();
  // Config first: absurd sizes are refused before a weight file is even opened.
  // Messages from here on start with the full path of the file at fault.
  auto spec = parse_config(text.value(), config_path.string());
  if (!spec) return spec.error();
  auto store = TensorStore::open_dir(dir);
  if (!store) return store.error();
  return build_model(std::move(spec.value()), store.value(), dir.string(), folder_name(dir));
}

Result<std::shared_ptr<const Model>> load_model_from_memory(std::string_view config_json,
                                                            std::span<const unsigned char> safetensors,
                                                            std::string source) {
  auto spec = parse_config(config_json, "config.json");
  if (!spec) return make_error(source + ": " + spec.error().message);
  auto store = TensorStore::from_memory(safetensors, "model.safetensors");
  if (!store) return make_error(source + ": " + store.error().message);
  const auto slash = source.find_last_of("/:");
  std::string name = slash == std::string::npos ? source : source.substr(slash + 1);
  auto model = build_model(std::move(spec.value()), store.value(), source, std::move(name));
  if (!model) return make_error(source + ": " + model.error().message);
  return model;
}

Result<std::shared_ptr<const Model>> load_embedded_model() {
  const auto config = resources::default_model_file("config.json");
  const auto weights = resources::default_model_file("model.safetensors");
  if (config.empty() || weights.empty()) return make_error("embedded:stories260K: the default model is missing from this build");
  // The embedded bytes live for the whole program, so the store may view them.
  return load_model_from_memory(std::string_view(reinterpret_cast<const char*>(config.data()), config.size()),
                                weights, "embedded:stories260K");
}

}  // namespace tl
