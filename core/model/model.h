#pragma once
// A loaded model: spec + weights + where it came from. Loading validates everything once:
// unknown model_type, missing tensors, wrong shapes and absurd sizes are errors that name the
// tensor (or field) and the expected shape, and nothing is allocated before sizes are checked.
#include <filesystem>
#include <memory>
#include <span>
#include <string_view>
#include <string>

#include "core/model/spec.h"
#include "core/model/weights.h"
#include "core/util/result.h"

namespace tl {

struct Model {
  ModelSpec spec;
  Weights weights;
  std::string source;  // folder path, or "embedded:stories260K"
  std::string name;    // short display name (folder name or "stories260K")
};

// config.json + model.safetensors (or model.safetensors.index.json with shards).
Result<std::shared_ptr<const Model>> load_model(const std::filesystem::path& dir);
// From bytes already in memory (the embedded default model, tests, fuzzing).
Result<std::shared_ptr<const Model>> load_model_from_memory(std::string_view config_json,
                                                            std::span<const unsigned char> safetensors,
                                                            std::string source);
// The model compiled into the binary (stories260K).
Result<std::shared_ptr<const Model>> load_embedded_model();

// Parses and validates config.json alone (used by load_model; exposed for tests and fuzzing).
Result<ModelSpec> parse_config(std::string_view config_json, std::string_view source_name = "config.json");

}  // namespace tl
