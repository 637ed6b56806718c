#include "talking_child.hpp"

#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

namespace cmbench {
namespace {

namespace fs = std::filesystem;

ChildOptions piped(const fs::path& errors, bool new_group) {
  ChildOptions o;
  o.in = Stdio::pipe();
  o.out = Stdio::pipe();
  o.err = Stdio::to_file(errors);
  o.new_group = new_group;
  return o;
}

}  // namespace

fs::path TalkingChild::make_errors_file() {
  std::string name = (fs::temp_directory_path() / "cmbench-child-XXXXXX").string();
  const int fd = ::mkstemp(name.data());
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "mkstemp");
  ::close(fd);
  return name;
}

TalkingChild::TalkingChild(const std::vector<std::string>& argv, std::string who, bool new_group)
    : who_(std::move(who)), errors_(make_errors_file()), child_([&]() -> Child {
        try {
          return Child(argv, piped(errors_, new_group));
        } catch (...) {
          std::error_code ignored;
          fs::remove(errors_, ignored);
          throw;
        }
      }()) {}

TalkingChild::~TalkingChild() {
  if (!child_.reaped()) child_.kill();
  std::error_code ignored;
  fs::remove(errors_, ignored);
}

std::string TalkingChild::stderr_text() const {
  std::ifstream in(errors_);
  std::string text{std::istreambuf_iterator<char>(in), {}};
  if (text.size() > 4000) text = "..." + text.substr(text.size() - 4000);
  return text;
}

std::string TalkingChild::line(std::chrono::steady_clock::time_point deadline,
                               const std::string& waiting) {
  std::string l;
  switch (child_.read_line(l, deadline)) {
    case Child::Line::read:
      return l;
    case Child::Line::end:
      child_.wait_for(std::chrono::milliseconds(5000));
      throw std::runtime_error(who_ + " ended " + waiting + ":\n" + stderr_text());
    case Child::Line::late:
      break;
  }
  throw std::runtime_error(who_ + " said nothing " + waiting + ":\n" + stderr_text());
}

}  // namespace cmbench
