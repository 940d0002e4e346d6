// Word grouping: boundaries from real tokenizers (byte-level BPE, WordPiece, SentencePiece; the
// vendored tokenizer files), and the map transform (sums over rows and columns, bias, labels,
// special flags, axes that are not tokens left alone). Special/sink flags for the colour scale.
#include <QtTest>

#include "core/tokenizer/tokenizer.h"
#include "render/special_tokens.h"
#include "render/word_groups.h"

using namespace tl::render;

namespace {

TokenText token_text(const tl::Tokenizer& tok, const tl::Encoding& e, std::string_view text) {
  TokenText t;
  t.text = text;
  t.spans = e.spans;
  t.pieces = e.tokens;
  t.special.assign(e.special.begin(), e.special.end());
  for (int id : e.ids) t.labels.push_back(tok.display_token(id));
  return t;
}

// The words as the text they cover (special tokens by their label).
QStringList word_texts(const WordGroups& g, const TokenText& t) {
  QStringList out;
  for (const auto& [b, e] : g.words) {
    const auto& sb = t.spans[static_cast<std::size_t>(b)];
    const auto& se = t.spans[static_cast<std::size_t>(e - 1)];
    if (sb.first == sb.second) {
      out << QString::fromStdString(t.labels[static_cast<std::size_t>(b)]);
    } else {
      out << QString::fromUtf8(t.text.substr(sb.first, se.second - sb.first)).trimmed();
    }
  }
  return out;
}

tl::Tokenizer load(const char* name) {
  auto t = tl::Tokenizer::from_dir(std::string(TL_TEST_DATA_DIR) + "/tokenizers/" + name);
  if (!t) qFatal("%s", t.error().message.c_str());
  return std::move(t).value();
}

}  // namespace

class TestWordGroups : public QObject {
  Q_OBJECT
 private slots:
  void byteLevelBpeWords() {
    const tl::Tokenizer tok = load("gpt2");
    const std::string text = "Tokenization is unbelievable, isn't it? Lily's caf\xc3\xa9.";
    const tl::Encoding e = tok.encode(text);
    const TokenText t = token_text(tok, e, text);
    const WordGroups g = word_groups(t);
    QVERIFY2(e.size() > static_cast<std::size_t>(g.size()), "some words are several tokens");
    QCOMPARE(word_texts(g, t), QStringList({"Tokenization", "is", "unbelievable", ",", "isn't", "it", "?",
                                            "Lily's", "caf\u00e9", "."}));
    // Labels are the tokens' labels concatenated.
    QCOMPARE(QString::fromStdString(g.labels[2]).trimmed(), QString("unbelievable"));
    for (std::size_t k = 1; k < g.word_of_token.size(); ++k)
      QVERIFY(g.word_of_token[k] >= g.word_of_token[k - 1]);
  }
  void wordPieceContinuationsAndSpecials() {
    const tl::Tokenizer tok = load("bert-base-uncased");
    const std::string text = "Tokenization is unbelievable.";
    const tl::Encoding e = tok.encode(text);
    const TokenText t = token_text(tok, e, text);
    const WordGroups g = word_groups(t);
    QCOMPARE(word_texts(g, t), QStringList({"[CLS]", "Tokenization", "is", "unbelievable", ".", "[SEP]"}));
  }
  void sentencePieceWords() {
    const tl::Tokenizer tok = load("tok512");  // the embedded stories260K tokenizer: small vocabulary
    const std::string text = "Once upon a time, Lily saw a butterfly.";
    const tl::Encoding e = tok.encode(text);
    const TokenText t = token_text(tok, e, text);
    const WordGroups g = word_groups(t);
    QCOMPARE(word_texts(g, t).mid(1),
             QStringList({"Once", "upon", "a", "time", ",", "Lily", "saw", "a", "butterfly", "."}));
    QVERIFY(e.special[0] && g.words[0] == std::make_pair(0, 1));  // BOS alone
    QVERIFY(e.size() > static_cast<std::size_t>(g.size()));
  }
  void mapRowsAndColumnsAreSummed() {
    // Tokens a | b c | d: the middle word has two tokens.
    WordGroups g;
    g.words = {{0, 1}, {1, 3}, {3, 4}};
    g.word_of_token = {0, 1, 1, 2};
    g.labels = {"a", "bc", "d"};
    g.token_labels = {"a", "b", "c", "d"};
    tl::Map m;
    m.values.resize(4, 4);
    m.values << 1, 2, 3, 4,  //
        5, 6, 7, 8,          //
        9, 10, 11, 12,       //
        13, 14, 15, 16;
    m.row_labels = m.col_labels = g.token_labels;
    m.bias = Eigen::Vector4d(0.1, 0.2, 0.3, 0.4);
    m.is_signed = true;
    m.provenance.method = "x";
    const tl::Map w = group_words(m, g);
    QCOMPARE(w.rows(), 3);
    QCOMPARE(w.cols(), 3);
    QCOMPARE(w.values(0, 0), 1.0);
    QCOMPARE(w.values(0, 1), 5.0);                // 2 + 3
    QCOMPARE(w.values(1, 1), 6.0 + 7 + 10 + 11);  // the 2x2 block
    QCOMPARE(w.values(1, 2), 20.0);               // 8 + 12
    QCOMPARE(w.values(2, 1), 29.0);               // 14 + 15
    QCOMPARE(w.values.sum(), m.values.sum());
    QVERIFY(std::abs(w.bias[1] - 0.5) < 1e-12);
    QCOMPARE(w.row_labels, g.labels);
    QVERIFY(w.is_signed);
    QCOMPARE(QString::fromStdString(w.provenance.options["words"].get<std::string>()), QString("summed"));
    // A single explained row (not the token axis) keeps its row; its columns are grouped.
    tl::Map one;
    one.values = m.values.topRows(1);
    one.row_labels = {"explained"};
    one.col_labels = g.token_labels;
    const tl::Map w1 = group_words(one, g);
    QCOMPARE(w1.rows(), 1);
    QCOMPARE(w1.cols(), 3);
    QCOMPARE(w1.values(0, 1), 5.0);
    QCOMPARE(w1.row_labels, one.row_labels);
    // Special flags follow the words.
    SpecialTokens s;
    s.rows = s.cols = {true, false, false, false};
    const SpecialTokens ws = group_special(s, m, g);
    QCOMPARE(ws.cols, std::vector<bool>({true, false, false}));
  }
  void specialTokensAndTheCausalSink() {
    TokenFlags f;
    f.labels = {"Hello", " world", "!"};
    f.special = {false, false, false};
    f.causal = true;  // GPT-2 style: no BOS, position 0 is the sink
    QCOMPARE(special_or_sink(f), std::vector<bool>({true, false, false}));
    f.causal = false;
    QCOMPARE(special_or_sink(f), std::vector<bool>({false, false, false}));
    f.special = {false, false, true};
    tl::Map m;
    m.values = Eigen::MatrixXd::Ones(1, 3);
    m.row_labels = {"stage 1"};
    m.col_labels = f.labels;
    const SpecialTokens s = special_tokens_for(m, f);
    QVERIFY(s.rows.empty());  // a logit-lens stage is not a token
    QCOMPARE(s.cols, std::vector<bool>({false, false, true}));
  }
};

QTEST_APPLESS_MAIN(TestWordGroups)
#include "test_word_groups.moc"
