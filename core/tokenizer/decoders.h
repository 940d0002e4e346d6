#pragma once
// Decoders of tokenizer.json ("decoder"): ByteLevel, WordPiece, Metaspace, BPEDecoder, Replace,
// ByteFallback, Fuse, Strip and Sequence. They turn vocabulary pieces back into text.
#include <memory>
#include <string>
#include <vector>

#include "core/tokenizer/json_fields.h"

namespace tl::tok {

class Decoder {
 public:
  virtual ~Decoder() = default;
  // One step of the chain: tokens in, tokens out; the final text is their concatenation.
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
  // The readable text of one piece on its own (a GUI label): decode_chain on that piece, minus the
  // steps that only make sense for a whole text (dropping the first space, WordPiece spacing).
  virtual void display(std::string& piece) const;

  std::string decode(std::vector<std::string> tokens) const;
};

Result<std::unique_ptr<Decoder>> parse_decoder(const Json& j, const std::string& path);

std::unique_ptr<Decoder> make_byte_level_decoder();                   // vocab.json + merges.txt folders
std::unique_ptr<Decoder> make_wordpiece_decoder(std::string prefix);  // vocab.txt folders

}  // namespace tl::tok
