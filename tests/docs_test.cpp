// The docs compile: every C++ block shown in README.md and docs/*.md is taken from a file of
// the repository that builds, so it cannot drift from the code.
//
// The rule, for each fenced block whose info string is `cpp` (or `c++`, `cxx`):
//   - its first line is `// from <path>`, a file of the repository relative to its root;
//   - every other line appears in that file verbatim (indentation included), the lines in
//     the same order and next to each other, as they are in the file;
//   - a line `// ...` (indented as you like) stands for lines left out: the lines after it
//     continue further down the same file.
// A `python` block whose first line is `# from <path>` (a .py file) is held to the same rule,
// with `# ...` for lines left out: the Python rows' docs show the real programs. Other
// Python blocks are free. docs/ is read with its subfolders (docs/python/).
// A failure names the doc, the line of the block's opening fence, the path, and the first
// line of the block that is not in the file, with its own line number in the doc.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A fenced code block of a Markdown file, as CommonMark reads one: an opening fence of three
// or more backticks or tildes indented by at most three spaces, and a closing fence of the
// same character, at least as long. Content lines lose the fence's indentation.
struct Block {
  std::string info;                // the first word after the opening fence: "cpp"
  int fence_line = 0;              // 1-based line of the opening fence in the doc
  std::vector<std::string> lines;  // the content
};

std::vector<Block> fenced_blocks(const std::vector<std::string>& doc) {
  std::vector<Block> blocks;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const std::string& open = doc[i];
    const std::size_t indent = open.find_first_not_of(' ');
    if (indent == std::string::npos || indent > 3) continue;
    const char fence_char = open[indent];
    if (fence_char != '`' && fence_char != '~') continue;
    const std::size_t fence_end = open.find_first_not_of(fence_char, indent);
    const std::size_t fence_len =
        (fence_end == std::string::npos ? open.size() : fence_end) - indent;
    if (fence_len < 3) continue;
    Block block;
    std::istringstream info(fence_end == std::string::npos ? "" : open.substr(fence_end));
    info >> block.info;
    block.fence_line = static_cast<int>(i) + 1;
    for (++i; i < doc.size(); ++i) {
      const std::string& line = doc[i];
      const std::string t = trim(line);
      const std::size_t line_indent = line.find_first_not_of(' ');
      if (line_indent != std::string::npos && line_indent <= 3 && t.size() >= fence_len &&
          t.find_first_not_of(fence_char) == std::string::npos)
        break;  // the closing fence (an unclosed block runs to the end of the doc)
      block.lines.push_back(line.substr(std::min(indent, std::min(line_indent, line.size()))));
    }
    blocks.push_back(std::move(block));
  }
  return blocks;
}

bool is_cpp(const Block& b) {
  const std::string info = lower(b.info);
  return info == "cpp" || info == "c++" || info == "cxx";
}

// A Python block that says which file it is taken from.
bool is_quoted_python(const Block& b) {
  const std::string info = lower(b.info);
  return (info == "python" || info == "py") && !b.lines.empty() &&
         b.lines[0].rfind("# from ", 0) == 0;
}

// Checks one C++ or quoted Python block against the repository at `root`. Returns "" when
// it holds, else one line saying what is wrong and where.
std::string check_block(const std::string& doc_name, const Block& block, const fs::path& root) {
  const std::string where = doc_name + ":" + std::to_string(block.fence_line) + ": ";
  const bool python = !is_cpp(block);
  const std::string comment = python ? "#" : "//", prefix = comment + " from ",
                    skip = comment + " ...";
  if (block.lines.empty() || block.lines[0].rfind(prefix, 0) != 0)
    return where +
           "a cpp block must open with a line `// from <path>` naming the file it "
           "is taken from";
  const std::string path_text = trim(block.lines[0].substr(prefix.size()));
  const fs::path path(path_text);
  if (path_text.empty() || path.is_absolute() ||
      std::find(path.begin(), path.end(), fs::path("..")) != path.end())
    return where + "`" + path_text + "` must be a path relative to the repository root";
  const fs::path file = root / path;
  if (!fs::is_regular_file(file))
    return where + "`" + path_text + "` is not a file of the repository";
  const std::string ext = path.extension().string();
  if (python && ext != ".py") return where + "`" + path_text + "` is not a Python file (.py)";
  if (!python && ext != ".cpp" && ext != ".hpp" && ext != ".h" && ext != ".cc")
    return where + "`" + path_text + "` is not a C++ source file (.cpp, .hpp, .h, .cc)";
  if (block.lines.size() < 2) return where + "the block shows no code from " + path_text;

  const std::vector<std::string> source = split_lines(read_text(file));
  std::size_t cursor = 0;  // the file's lines before this one are used up
  std::size_t i = 1;       // the block's line being matched
  while (i < block.lines.size()) {
    if (trim(block.lines[i]) == skip) {
      ++i;
      continue;
    }
    // One run of lines between `// ...` markers: it must appear whole at or after cursor.
    std::size_t end = i;
    while (end < block.lines.size() && trim(block.lines[end]) != skip) ++end;
    const std::size_t run = end - i;
    std::size_t best = 0, best_at = source.size();
    for (std::size_t at = cursor; at < source.size() && best < run; ++at) {
      std::size_t n = 0;
      while (n < run && at + n < source.size() && source[at + n] == block.lines[i + n]) ++n;
      if (n > best) {
        best = n;
        best_at = at;
      }
    }
    if (best < run) {
      const std::size_t missing = i + best;
      const int doc_line = block.fence_line + 1 + static_cast<int>(missing);
      std::string why = "is not in " + path_text;
      if (best > 0) {
        const std::size_t next = best_at + best;  // 0-based: the file's line after the match
        why += " where expected: the lines above it match the file up to line " +
               std::to_string(next) +
               (next < source.size() ? ", and line " + std::to_string(next + 1) +
                                           " of the file reads `" + source[next] + "`"
                                     : ", where the file ends");
      } else if (cursor > 0) {
        why += " after line " + std::to_string(cursor) + ", where the block's earlier lines end";
      }
      std::string problem = where;
      problem += "line " + std::to_string(doc_line) + " `" + block.lines[missing] + "` ";
      problem += why;
      return problem;
    }
    cursor = best_at + run;
    i = end;
  }
  return {};
}

std::vector<std::string> check_doc(const fs::path& doc, const std::string& doc_name,
                                   const fs::path& root, int& cpp_blocks) {
  std::vector<std::string> problems;
  for (const Block& b : fenced_blocks(split_lines(read_text(doc)))) {
    if (!is_cpp(b) && !is_quoted_python(b)) continue;
    ++cpp_blocks;
    if (auto p = check_block(doc_name, b, root); !p.empty()) problems.push_back(p);
  }
  return problems;
}

// README.md and every .md under docs/ of the repository at `root`, by name relative to it.
std::vector<std::string> doc_names(const fs::path& root) {
  std::vector<std::string> names;
  if (fs::is_regular_file(root / "README.md")) names.emplace_back("README.md");
  std::vector<std::string> docs;
  if (fs::is_directory(root / "docs"))
    for (const auto& e : fs::recursive_directory_iterator(root / "docs"))
      if (e.is_regular_file() && e.path().extension() == ".md")
        docs.push_back(e.path().lexically_relative(root).string());
  std::sort(docs.begin(), docs.end());
  names.insert(names.end(), docs.begin(), docs.end());
  return names;
}

// A throw-away repository for testing the checker itself.
class ScratchRepo {
 public:
  ScratchRepo()
      : root_(fs::temp_directory_path() / ("cmbench_docs_test_" + std::to_string(::getpid()))) {
    fs::remove_all(root_);
    fs::create_directories(root_ / "src");
    std::ofstream(root_ / "src" / "a.cpp") << "int f() {\n"
                                              "  int x = 1;\n"
                                              "  x += 2;\n"
                                              "  x *= 3;\n"
                                              "  return x;\n"
                                              "}\n";
  }
  ~ScratchRepo() { fs::remove_all(root_); }
  const fs::path& root() const { return root_; }

  // The problems the checker finds in a doc with this text.
  std::vector<std::string> check(const std::string& markdown) {
    std::ofstream(root_ / "doc.md") << markdown;
    int blocks = 0;
    return check_doc(root_ / "doc.md", "doc.md", root_, blocks);
  }

 private:
  fs::path root_;
};

std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

}  // namespace

TEST(Docs, CodeBlocksAreTakenFromFilesThatBuild) {
  const fs::path root = CMBENCH_SOURCE_DIR;
  const auto names = doc_names(root);
  ASSERT_FALSE(names.empty()) << "no README.md and no docs/*.md under " << root;
  int cpp_blocks = 0;
  std::vector<std::string> problems;
  for (const auto& name : names) {
    auto p = check_doc(root / name, name, root, cpp_blocks);
    problems.insert(problems.end(), p.begin(), p.end());
  }
  EXPECT_GT(cpp_blocks, 0) << "no ```cpp block found in " << names.size()
                           << " docs: is the fence parser broken?";
  EXPECT_TRUE(problems.empty()) << joined(problems);
}

TEST(Docs, CheckerAcceptsContiguousLinesAndSkipMarkers) {
  ScratchRepo repo;
  EXPECT_TRUE(
      repo.check("text\n```cpp\n// from src/a.cpp\n  int x = 1;\n  x += 2;\n```\n").empty());
  EXPECT_TRUE(
      repo.check("```cpp\n// from src/a.cpp\nint f() {\n    // ...\n  return x;\n```\n").empty());
  EXPECT_TRUE(repo.check("- item\n\n  ```cpp\n  // from src/a.cpp\n    x *= 3;\n  ```\n").empty())
      << "an indented fence strips its indentation from the content";
  EXPECT_TRUE(repo.check("```text\nnot checked\n```\n```python\nx = 1\n```\n").empty());
}

TEST(Docs, CheckerHoldsQuotedPythonToTheSameRule) {
  ScratchRepo repo;
  std::ofstream(repo.root() / "src" / "row.py") << "import time\n\n\ndef main(p):\n"
                                                   "    start = time.monotonic_ns()\n"
                                                   "    return [start]\n";
  EXPECT_TRUE(repo.check("```python\n# from src/row.py\nimport time\n# ...\ndef main(p):\n"
                         "    start = time.monotonic_ns()\n```\n")
                  .empty());
  auto p = repo.check("```python\n# from src/row.py\ndef main(p):\n    return []\n```\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("line 4 `    return []` is not in src/row.py"), std::string::npos) << p[0];
  p = repo.check("```python\n# from src/a.cpp\nint f() {\n```\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("`src/a.cpp` is not a Python file"), std::string::npos) << p[0];
}

TEST(Docs, CheckerNamesTheDocTheBlockAndTheFirstLineNotFound) {
  ScratchRepo repo;
  auto p = repo.check("# t\n\n```cpp\n// from src/a.cpp\n  int x = 1;\n  x *= 3;\n```\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0],
            "doc.md:3: line 6 `  x *= 3;` is not in src/a.cpp where expected: the lines above "
            "it match the file up to line 2, and line 3 of the file reads `  x += 2;`");
}

TEST(Docs, CheckerRejectsLinesOutOfOrderOrChanged) {
  ScratchRepo repo;
  auto p = repo.check("```cpp\n// from src/a.cpp\n  return x;\n// ...\n  int x = 1;\n```\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("line 5 `  int x = 1;` is not in src/a.cpp after line 5, where the block's "
                      "earlier lines end"),
            std::string::npos)
      << p[0];
  p = repo.check("```cpp\n// from src/a.cpp\nint x = 1;\n```\n");  // indentation changed
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("line 3 `int x = 1;` is not in src/a.cpp"), std::string::npos) << p[0];
}

TEST(Docs, CheckerRequiresAnExistingSourceNamedFirst) {
  ScratchRepo repo;
  auto p = repo.check("```cpp\nint x = 1;\n```\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("doc.md:1: a cpp block must open with a line `// from <path>`"),
            std::string::npos)
      << p[0];
  p = repo.check("```c++\n// from src/nosuch.cpp\nint x;\n```\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("`src/nosuch.cpp` is not a file of the repository"), std::string::npos)
      << p[0];
  p = repo.check("```cpp\n// from ../a.cpp\nint x;\n```\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("must be a path relative to the repository root"), std::string::npos) << p[0];
  std::ofstream(repo.root() / "notes.txt") << "int x;\n";
  p = repo.check("```cpp\n// from notes.txt\nint x;\n```\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("`notes.txt` is not a C++ source file"), std::string::npos) << p[0];
  p = repo.check("```cpp\n// from src/a.cpp\n```\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("the block shows no code"), std::string::npos) << p[0];
}
