// tensorlens-cli generate: sample continuations of a prompt from a causal LM, deterministically
// for a seed (core/forward/generate.h gives the exact sampling rule). One line per sample: the
// prompt and its continuation, decoded, with line breaks turned into spaces.
#include <cstdio>

#include "app/cli/cli_common.h"
#include "core/forward/generate.h"

namespace tl::cli {

void register_generate(CLI::App& app) {
  struct Opts {
    ModelOption model;
    std::string prompt;
    GenerateOptions g;
    std::uint64_t seed = 0;
    int count = 1;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("generate", "Sample text from a causal LM (deterministic for a seed)");
  o->model.add_to(*cmd);
  cmd->add_option("--prompt", o->prompt, "text to continue (default: empty, i.e. from BOS)");
  cmd->add_option("--tokens", o->g.tokens, "new tokens per sample at most")->check(CLI::Range(1, 100000));
  cmd->add_option("--temperature", o->g.temperature, "softmax temperature (0 = greedy)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", o->seed, "seed of the sampler (SplitMix64)");
  cmd->add_option("--count", o->count, "samples, drawn one after the other from one generator")->check(CLI::Range(1, 1000000));
  cmd->callback([o] {
    auto model = o->model.load_model();
    Tokenizer tok = o->model.load_tokenizer();
    const Encoding enc = tok.encode(o->prompt);
    if (enc.ids.empty()) throw CliError("the prompt has no tokens and the tokenizer adds no BOS");
    SplitMix64 rng(o->seed);
    for (int c = 0; c < o->count; ++c) {
      auto out = generate(*model, enc.ids, o->g, rng);
      if (!out) throw CliError(out.error().message);
      std::vector<int> ids = enc.ids;
      ids.insert(ids.end(), out->begin(), out->end());
      std::string text = tok.decode(ids, true);
      for (char& ch : text)
        if (ch == '\n' || ch == '\r') ch = ' ';
      std::printf("%s\n", text.c_str());
    }
  });
}

}  // namespace tl::cli
