// Runs the real tensorlens-cli binary: machine-readable output, files written, and one-line
// errors with a non-zero exit on bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "core/engine/session.h"
#include "core/io/npy.h"

namespace {

struct CliRun {
  int status;
  std::string out;  // stdout + stderr
};

CliRun run(const std::string& args) {
  std::string cmd = std::string(TL_CLI_PATH) + " " + args + " 2>&1";
  CliRun r{0, ""};
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {-1, "popen failed"};
  std::array<char, 4096> buf{};
  while (std::size_t n = fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// A path under the test folder. Commands refuse to replace files without --force, so tests that
// write a file again (or run again over an earlier run's files) say --force.
std::string tmp(const std::string& name) {
  std::filesystem::path dir = std::filesystem::path(TL_TEST_TMP_DIR) / "cli";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

const std::string kRef = TL_TEST_DATA_DIR "/reference-models/";

}  // namespace

TEST(Cli, InfoJsonOnEmbeddedModel) {
  CliRun r = run("info --json");
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["family"], "llama");
  EXPECT_EQ(j["layers"], 5);
  EXPECT_EQ(j["hidden_size"], 64);
  EXPECT_EQ(j["kv_heads"], 4);
  EXPECT_GT(j["parameters"].get<long>(), 200000);
}

TEST(Cli, TokenizeJsonGivesIdsTokensSpans) {
  CliRun r = run("tokenize --text 'Once upon a time' --json");
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ids"], nlohmann::json::parse("[1, 403, 407, 261, 378]"));  // llama2.c reference encoding
  EXPECT_EQ(j["tokens"].size(), 5u);
  EXPECT_EQ(j["spans"].size(), 5u);
}

TEST(Cli, TokenizeWorksOnTokenizerOnlyFolder) {
  CliRun r = run("tokenize --model " TL_TEST_DATA_DIR "/tokenizers/bert-base-uncased --text 'Hello world' --json");
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ids"], nlohmann::json::parse("[101, 7592, 2088, 102]"));
}

TEST(Cli, PredictNextToken) {
  CliRun r = run("predict --text 'Once upon a' --top 3 --json");
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["predictions"].size(), 3u);
  EXPECT_EQ(j[0]["predictions"][0]["id"], 378);  // greedy reference continuation: "Once upon a" -> " time"
}

TEST(Cli, ForwardDumpMatchesShapes) {
  std::string dir = tmp("dump_gpt2");
  CliRun r = run("forward --model " + kRef + "tiny-gpt2 --ids 794,148,462,369,857,597,119 --force --dump " + dir);
  ASSERT_EQ(r.status, 0) << r.out;
  auto hs = tl::read_npy(dir + "/hidden_states.npy");
  ASSERT_TRUE(hs.ok());
  EXPECT_EQ(hs->shape, (std::vector<std::int64_t>{3, 7, 64}));
  auto ref = tl::read_npy(kRef + "tiny-gpt2/reference/seq1_hidden_states.npy");
  ASSERT_TRUE(ref.ok());
  double maxdiff = 0;
  for (std::size_t k = 0; k < ref->data.size(); ++k) maxdiff = std::max(maxdiff, std::abs(ref->data[k] - hs->data[k]));
  EXPECT_LT(maxdiff, 1e-4);
  auto at = tl::read_npy(dir + "/attentions.npy");
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(at->shape, (std::vector<std::int64_t>{2, 4, 7, 7}));
  EXPECT_TRUE(std::filesystem::exists(dir + "/tokens.json"));
}

TEST(Cli, MethodsListsTheRegistry) {
  CliRun r = run("methods --json");
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  std::set<std::string> names;
  for (auto& m : j) names.insert(m["name"]);
  for (const char* n : {"tensorlens", "tensorlens-in", "tensorlens-out", "tensorlens-in-out", "attention", "rollout",
                        "flow", "alti", "globenc", "jacobian", "integrated-gradients", "logit-lens"})
    EXPECT_TRUE(names.count(n)) << n;
}

TEST(Cli, AnalyzeWritesNpyCsvJson) {
  for (std::string ext : {"npy", "csv", "json"}) {
    std::string out = tmp("tl_in." + ext);
    CliRun r = run("analyze --text 'Once upon a time' --method tensorlens-in --through 2 --quiet --force --out " + out);
    ASSERT_EQ(r.status, 0) << r.out;
    ASSERT_TRUE(std::filesystem::exists(out)) << out;
  }
  auto m = tl::read_npy(tmp("tl_in.npy"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->shape, (std::vector<std::int64_t>{5, 5}));
  EXPECT_EQ(m->at({0, 4}), 0.0);  // causal: token 0 gets nothing from token 4
  std::ifstream js(tmp("tl_in.json"));
  auto j = nlohmann::json::parse(js);
  EXPECT_EQ(j["maps"][0]["provenance"]["method"], "tensorlens-in");
  EXPECT_EQ(j["tokens"].size(), 5u);
}

// --device gpu computes the forward pass on the device; when the device runs out of memory
// (simulated), the forward and then the analysis finish on the CPU and each says why in one line.
TEST(Cli, AnalyzeOnGpuFallsBackToTheCpuWithTheReason) {
  const std::string out = tmp("tl_gpu_fallback.npy");
  CliRun r = run("analyze --text 'Once upon a time' --method tensorlens-in --device gpu --force --out " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  if (r.out.find("GPU unavailable") != std::string::npos) GTEST_SKIP() << "no Vulkan: " << r.out;
  EXPECT_EQ(r.out.find("GPU forward failed"), std::string::npos) << r.out;
  setenv("TL_GPU_SIMULATE", "oom", 1);
  r = run("analyze --text 'Once upon a time' --method tensorlens-in --device gpu --force --out " + out);
  unsetenv("TL_GPU_SIMULATE");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("forward on the CPU (the GPU forward failed: out of device memory"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("cpu backend (the GPU run failed: out of device memory"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(out));
}

TEST(Cli, BlockWritesDxD) {
  std::string out = tmp("block.npy");
  CliRun r = run("block --text 'Once upon a time' --pair 3,1 --quiet --force --out " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  auto b = tl::read_npy(out);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->shape, (std::vector<std::int64_t>{64, 64}));
  std::string out2 = tmp("block_jac.npy");
  r = run("block --text 'Once upon a time' --pair 3,1 --true-jacobian --quiet --force --out " + out2);
  ASSERT_EQ(r.status, 0) << r.out;
}

TEST(Cli, BadInputGivesOneLineErrorAndNonZeroExit) {
  for (std::string args : {"info --model /nonexistent/folder", "analyze --text hi --method no-such-method --out x.npy",
                           "predict --ids 1,99999", "analyze --text 'a b' --method rollout --layer 99 --out x.npy",
                           "block --text 'a b' --pair 7,0 --out x.npy"}) {
    CliRun r = run(args);
    EXPECT_NE(r.status, 0) << args;
    EXPECT_NE(r.out.find("error"), std::string::npos) << args << ": " << r.out;
    EXPECT_LE(std::count(r.out.begin(), r.out.end(), '\n'), 1) << args << ": " << r.out;
  }
}

namespace {

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// PNG signature and the IHDR size (big-endian width, height at bytes 16..23).
bool png_size(const std::string& path, int* w, int* h) {
  const std::string b = read_all(path);
  if (b.size() < 24 || b.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return false;
  auto be32 = [&](std::size_t o) {
    return (unsigned(static_cast<unsigned char>(b[o])) << 24) | (unsigned(static_cast<unsigned char>(b[o + 1])) << 16) |
           (unsigned(static_cast<unsigned char>(b[o + 2])) << 8) | unsigned(static_cast<unsigned char>(b[o + 3]));
  };
  *w = static_cast<int>(be32(16));
  *h = static_cast<int>(be32(20));
  return true;
}

void expect_provenance(const std::string& figure, const std::string& method, const std::string& text) {
  const std::string prov = figure + ".provenance.json";
  ASSERT_TRUE(std::filesystem::exists(prov)) << prov;
  auto j = nlohmann::json::parse(read_all(prov));
  EXPECT_EQ(j["method"], method);
  EXPECT_EQ(j["text"], text);
  EXPECT_NE(j["model"].get<std::string>().find("stories260K"), std::string::npos);
  for (const char* k : {"layers", "options", "tool_version", "tokens", "style", "export"}) EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_FALSE(j["tokens"]["rows"].empty());
}

}  // namespace

TEST(Cli, RenderWritesPngSvgPdfWithProvenance) {
  const std::string text = "Once upon a time";
  const std::string render_dir = tmp("render");
  std::filesystem::remove_all(render_dir);
  std::filesystem::create_directories(render_dir);
  const std::string png = tmp("render/lens.png"), svg = tmp("render/lens.svg"), pdf = tmp("render/lens.pdf");
  CliRun r = run("render --text '" + text + "' --method tensorlens-in --through 2 --size 800x600 --dpi 96 --quiet --out " + png);
  ASSERT_EQ(r.status, 0) << r.out;
  int w = 0, h = 0;
  ASSERT_TRUE(png_size(png, &w, &h)) << "not a PNG";
  EXPECT_EQ(w, 800);
  EXPECT_EQ(h, 600);
  expect_provenance(png, "tensorlens-in", text);
  auto j = nlohmann::json::parse(read_all(png + ".provenance.json"));
  EXPECT_EQ(j["layers"], "blocks 1..2");
  EXPECT_EQ(j["export"]["width_px"], 800);
  EXPECT_EQ(j["style"]["hide_special"], true);

  r = run("render --text '" + text + "' --method rollout --quiet --colormap magma --out " + svg);
  ASSERT_EQ(r.status, 0) << r.out;
  const std::string svg_text = read_all(svg);
  EXPECT_NE(svg_text.find("<svg"), std::string::npos);
  EXPECT_NE(svg_text.find("rollout"), std::string::npos);  // the title as text
  EXPECT_NE(svg_text.find("upon"), std::string::npos);     // token labels as text
  expect_provenance(svg, "rollout", text);

  r = run("render --text '" + text + "' --method attention --layer 1 --head 2 --quiet --out " + pdf);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(read_all(pdf).compare(0, 5, "%PDF-"), 0);
  expect_provenance(pdf, "attention", text);

  // No silent overwrite: the file is kept and the error is one line; --force replaces it.
  const auto before = std::filesystem::last_write_time(png);
  r = run("render --text 'Lily' --method tensorlens-in --quiet --out " + png);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("already exists"), std::string::npos) << r.out;
  EXPECT_EQ(std::filesystem::last_write_time(png), before);
  r = run("render --text 'Lily' --method tensorlens-in --quiet --force --out " + png);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(read_all(png + ".provenance.json"))["text"], "Lily");
  // No temporary files left behind by the atomic writes.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(render_dir)) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 6);
}

TEST(Cli, RenderBatchOneFigurePerSentenceAndMethod) {
  const std::string dir = tmp("render_batch");
  std::filesystem::remove_all(dir);
  const std::string list = tmp("sentences.txt");
  {
    std::ofstream f(list);
    f << "Once upon a time\n\nLily saw a cat.\r\nThe dog ran.\n";
  }
  CliRun r = run("render --sentences " + list + " --methods tensorlens-in,rollout --size 640x480 --out-dir " + dir);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("[6/6]"), std::string::npos) << r.out;  // progress on stderr
  const char* texts[] = {"Once upon a time", "Lily saw a cat.", "The dog ran."};
  for (int k = 1; k <= 3; ++k) {
    for (const std::string m : {"tensorlens-in", "rollout"}) {
      const std::string f = dir + "/s00" + std::to_string(k) + "-" + m + ".png";
      int w = 0, h = 0;
      ASSERT_TRUE(png_size(f, &w, &h)) << f;
      EXPECT_EQ(w, 640);
      expect_provenance(f, m, texts[k - 1]);
    }
  }
  // A second run would overwrite: refused before any work, nothing changed.
  r = run("render --sentences " + list + " --methods rollout --out-dir " + dir);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("already exists"), std::string::npos) << r.out;
}

TEST(Cli, RenderEveryLayerOneFilePerBlock) {
  const std::string dir = tmp("render_every_layer");
  std::filesystem::remove_all(dir);
  // A per-block method: one figure per block, one provenance for the series.
  CliRun r = run("render --every-layer --text 'Lily saw a cat.' --method rollout --size 500x400 --quiet --out-dir " + dir);
  ASSERT_EQ(r.status, 0) << r.out;
  const std::string info = run("info --json").out;
  const int layers = nlohmann::json::parse(info.substr(info.find('{')))["layers"].get<int>();
  for (int l = 1; l <= layers; ++l) {
    const std::string f = dir + "/rollout-block0" + std::to_string(l) + ".png";
    int w = 0, h = 0;
    ASSERT_TRUE(png_size(f, &w, &h)) << f;
    EXPECT_EQ(w, 500);
    EXPECT_FALSE(std::filesystem::exists(f + ".provenance.json"));
  }
  std::ifstream pf(dir + "/rollout-layers.provenance.json");
  const auto prov = nlohmann::json::parse(std::string(std::istreambuf_iterator<char>(pf), {}));
  EXPECT_EQ(prov["method"], "rollout");
  EXPECT_EQ(prov["text"], "Lily saw a cat.");
  EXPECT_EQ(prov["files"].size(), static_cast<std::size_t>(layers));
  EXPECT_TRUE(prov["style"].contains("shared_range"));
  EXPECT_FALSE(prov["tokens"]["rows"].empty());
  // Again: refused before any work, naming a file; --force replaces.
  r = run("render --every-layer --text 'Lily saw a cat.' --method rollout --quiet --out-dir " + dir);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("rollout-block01.png already exists"), std::string::npos) << r.out;
  // Cumulative maps of the TensorLens engine as numbers (NPY), plus the end-to-end map.
  r = run("render --every-layer --cumulative --format npy --text 'Lily saw a cat.' --method tensorlens-in --quiet --out-dir " + dir);
  ASSERT_EQ(r.status, 0) << r.out;
  auto npy = tl::read_npy(dir + "/tensorlens-in-blocks1-02.npy");
  ASSERT_TRUE(npy.ok()) << npy.error().message;
  EXPECT_EQ(npy->shape.size(), 2u);
  // The single-map export writes numbers too.
  r = run("render --text 'Lily saw a cat.' --method rollout --quiet --out " + dir + "/rollout.csv");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir + "/rollout.csv.provenance.json"));
  // A method without per-block maps says what to do.
  r = run("render --every-layer --text hi --method saliency --out-dir " + dir);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("saliency"), std::string::npos) << r.out;
}

TEST(Cli, RenderRejectsBadArguments) {
  for (const std::string& args : std::vector<std::string>{"render --text hi --method tensorlens-in --out x.bmp", "render --text hi --out x.png",
                           "render --text hi --method no-such --out " + tmp("nosuch.png"),
                           "render --text hi --method rollout --size 10 --out " + tmp("badsize.png"),
                           "render --sentences /nonexistent.txt --methods rollout --out-dir " + tmp("nodir")}) {
    CliRun r = run(args);
    EXPECT_NE(r.status, 0) << args;
    EXPECT_NE(r.out.find("error"), std::string::npos) << args << ": " << r.out;
  }
}

TEST(Cli, DevicesNeverFails) {
  CliRun r = run("devices");
  EXPECT_EQ(r.status, 0) << r.out;
}

// ---- eval and generate (small inputs: a few sentences, few resamples) ----------------------------

namespace {
std::string write_tmp(const std::string& name, const std::string& text) {
  const std::string path = tmp(name);
  std::ofstream(path) << text;
  return path;
}
}  // namespace

TEST(Cli, EvalPerturbationWritesJsonMarkdownAndPlot) {
  const std::string sentences = write_tmp("eval_sentences.txt",
                                          "# three sentences\nOnce upon a time, there was a little girl named Lily.\n\n"
                                          "Tim went to the park with his\nThe dog was very\n");
  const std::string json = tmp("eval_p.json"), md = tmp("eval_p.md"), png = tmp("eval_p.png");
  std::filesystem::remove(png);
  CliRun r = run("eval perturbation --sentences " + sentences + " --methods rollout,tensorlens-in-out,random --paired-with rollout --resamples 50 --out " +
                 json + " --markdown " + md + " --plot " + png + " --force");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("| rollout |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Paired differences"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("%"), std::string::npos) << "progress on stderr";
  std::ifstream in(json);
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["sentences"].size(), 3u);
  EXPECT_EQ(j["fractions"].size(), 10u);
  EXPECT_EQ(j["replacement_token"]["label"], "<unk>");
  ASSERT_EQ(j["methods"].size(), 3u);
  EXPECT_EQ(j["methods"][2]["method"], "random");
  EXPECT_EQ(j["methods"][0]["positive"]["probability_curve"].size(), 10u);
  EXPECT_TRUE(std::filesystem::exists(md));
  std::ifstream image(png, std::ios::binary);
  std::string magic(4, '\0');
  image.read(magic.data(), 4);
  EXPECT_EQ(magic, "\x89PNG");
}

TEST(Cli, EvalIdentifiabilityAndRelations) {
  const std::string sentences = write_tmp("eval_id.txt", "Once upon a time\nLily was happy. She\n");
  const std::string json = tmp("eval_id.json");
  CliRun r = run("eval identifiability --quiet --force --sentences " + sentences + " --out " + json);
  ASSERT_EQ(r.status, 0) << r.out;
  std::ifstream in(json);
  const auto j = nlohmann::json::parse(in);
  ASSERT_EQ(j["share_cosine"].size(), 6u);  // embeddings + 5 blocks
  EXPECT_EQ(j["share_cosine"][0], 1.0);

  const std::string rel = write_tmp("eval_rel.txt", "relation: pronoun\ntemplate: {} was happy.\nLily -> She\nTim -> He\nSue -> She\n");
  const std::string rjson = tmp("eval_rel.json");
  r = run("eval relations --quiet --force --relations " + rel + " --layers 3 --out " + rjson);
  ASSERT_EQ(r.status, 0) << r.out;
  std::ifstream rin(rjson);
  const auto rj = nlohmann::json::parse(rin);
  ASSERT_EQ(rj["relations"].size(), 1u);
  EXPECT_EQ(rj["relations"][0]["model_accuracy"], 1.0);
  EXPECT_EQ(rj["relations"][0]["lre_faithfulness"].size(), 1u);
}

TEST(Cli, GenerateIsDeterministicForASeed) {
  CliRun a = run("generate --tokens 8 --temperature 1 --seed 5 --count 2");
  CliRun b = run("generate --tokens 8 --temperature 1 --seed 5 --count 2");
  ASSERT_EQ(a.status, 0) << a.out;
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(std::count(a.out.begin(), a.out.end(), '\n'), 2);
  CliRun g = run("generate --tokens 4 --temperature 0");
  EXPECT_EQ(g.out, "Once upon a time\n");
}

TEST(Cli, EvalBadInputIsAnError) {
  const std::string sentences = write_tmp("eval_bad.txt", "Once upon a time\n");
  for (const std::string& args : std::vector<std::string>{"eval perturbation --sentences /nonexistent.txt --out x.json",
                           "eval perturbation --sentences " + sentences + " --methods no-such-method --out x.json",
                           "eval perturbation --sentences " + sentences + " --methods logit-lens --out x.json",
                           "eval relations --relations " + sentences}) {
    CliRun r = run(args + " --quiet");
    EXPECT_NE(r.status, 0) << args;
    EXPECT_NE(r.out.find("error"), std::string::npos) << args << ": " << r.out;
  }
}

// The CLI is a thin client of the engine session: its map is bit for bit the engine's for the
// same request (tests/app/test_app_context.cpp shows the same for the GUI's AppContext, so the CLI
// and the GUI give identical maps).
TEST(Cli, AnalyzeIsBitIdenticalToTheEngineSession) {
  const std::string text = "Once upon a time, there was a little girl named Lily.";
  for (const char* method : {"tensorlens-in", "rollout"}) {
    const std::string out = tmp(std::string("engine-") + method + ".npy");
    std::filesystem::remove(out);
    CliRun r = run("analyze --text '" + text + "' --method " + method + " --through 3 --quiet --out " + out);
    ASSERT_EQ(r.status, 0) << r.out;
    auto npy = tl::read_npy(out);
    ASSERT_TRUE(npy.ok()) << npy.error().message;

    auto session = tl::engine::Session::open_embedded(std::make_shared<tl::engine::Device>("cpu"));
    ASSERT_TRUE(session.ok());
    auto analysis = (*session)->analyse(text);
    ASSERT_TRUE(analysis.ok());
    auto map = (*session)->compute_map(*analysis, {.method = method, .scope = tl::Scope::Through, .block = 3});
    ASSERT_TRUE(map.ok()) << map.error().message;
    ASSERT_EQ(npy->shape, (std::vector<std::int64_t>{map->rows(), map->cols()}));
    std::size_t k = 0;
    for (int i = 0; i < map->rows(); ++i)
      for (int j = 0; j < map->cols(); ++j, ++k) EXPECT_EQ(npy->data[k], map->values(i, j)) << method << " " << i << "," << j;
  }
}

// Parse errors follow the one-line convention of every error: the prefix, one line, status 1;
// --help still exits 0.
TEST(Cli, ParseErrorsAreOneLineWithStatusOne) {
  for (const char* args : {"analyze --no-such-flag", "analyze --text hi", "no-such-command", "predict --top zero",
                           "analyze --text hi --method rollout --head 2 --out x.npy",
                           "analyze --text hi --method tensorlens-in --option stratgy=full --out /tmp/tl-never.npy",
                           "analyze --text hi --method integrated-gradients --option steps=-3 --out /tmp/tl-never.npy"}) {
    CliRun r = run(args);
    EXPECT_EQ(r.status, 1) << args << ": " << r.out;
    EXPECT_EQ(r.out.rfind("tensorlens-cli: error: ", 0), 0u) << args << ": " << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << args << ": " << r.out;
  }
  CliRun help = run("analyze --help");
  EXPECT_EQ(help.status, 0) << help.out;
}

// Output paths are checked before the computation and never replaced without --force.
TEST(Cli, OutputsAreCheckedFirstAndNeverReplacedWithoutForce) {
  const std::string out = tmp("force-map.csv");
  std::filesystem::remove(out);
  const std::string args = "analyze --text 'Once upon a time' --method rollout --quiet --out " + out;
  CliRun first = run(args);
  ASSERT_EQ(first.status, 0) << first.out;
  CliRun second = run(args);
  EXPECT_EQ(second.status, 1) << second.out;
  EXPECT_NE(second.out.find("already exists (use --force"), std::string::npos) << second.out;
  CliRun forced = run(args + " --force");
  EXPECT_EQ(forced.status, 0) << forced.out;
  for (const std::string& bad : {tmp("x.txt"), tmp("no-such-dir") + "/x.csv", std::string("/dev/null.csv")}) {
    CliRun r = run("analyze --text 'Once upon a time' --method rollout --quiet --out " + bad);
    EXPECT_EQ(r.status, 1) << bad << ": " << r.out;
    EXPECT_EQ(r.out.rfind("tensorlens-cli: error: ", 0), 0u) << r.out;
  }
  const std::string block = tmp("force-block.npy");
  std::filesystem::remove(block);
  ASSERT_EQ(run("block --text 'Once upon a time' --pair 3,1 --out " + block).status, 0);
  EXPECT_EQ(run("block --text 'Once upon a time' --pair 3,1 --out " + block).status, 1);
  const std::string dump = tmp("force-dump");
  std::filesystem::remove_all(dump);
  ASSERT_EQ(run("forward --text 'Once upon a time' --dump " + dump).status, 0);
  CliRun again = run("forward --text 'Once upon a time' --dump " + dump);
  EXPECT_EQ(again.status, 1) << again.out;
  EXPECT_EQ(run("forward --text 'Once upon a time' --dump " + dump + " --force").status, 0);
}
