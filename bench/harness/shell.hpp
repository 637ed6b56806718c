// Building a command line for std::system: one argument, quoted for a POSIX shell.
#pragma once

#include <string>

namespace cmbench {

// 'text' for a POSIX shell, whatever it holds (a ' becomes '\'').
inline std::string shell_quoted(const std::string& text) {
  std::string q = "'";
  for (char c : text) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace cmbench
