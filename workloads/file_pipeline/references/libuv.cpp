// file_pipeline, libuv: Node.js's file I/O, uv_fs_* requests with callbacks. libuv, like
// every portable loop, does regular files on its thread pool (UV_THREADPOOL_SIZE, 4 by
// default, one pool per process, sized when first used): each request is a blocking call
// on a pool thread whose callback then runs on the loop. A reference row for the models'
// offloading: the same design, written in C by people who tuned it for a decade.
//
// Per file: uv_fs_open the input, uv_fs_read it into a buffer of S + 1 bytes (the size is
// known from the set-up, where a general program would uv_fs_fstat first; a short read of
// a regular file is its end, and a full one reads on), uv_fs_close, upper-case on the loop,
// then uv_fs_open the output, uv_fs_write, uv_fs_fdatasync when sync = 1, uv_fs_close. Every
// file is started at once, as Promise.all(names.map(pipeFile)) does; the pool takes the
// requests in order. A file that fails stops there, its descriptor closed; once every file
// has stopped, the first failure is thrown, naming the file.
#include <uv.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "file_pipeline/spec.hpp"

namespace cmbench::file_pipeline {
namespace {

struct Run;

// One file's pipeline. Invariant: exactly one request in flight from start() until
// finish(); `fd` is the descriptor that request's step left open (-1: none).
struct File {
  uv_fs_t req{};
  Run* run = nullptr;
  std::size_t index = 0;
  std::string path;  // the file the current step works on
  uv_file fd = -1;
  std::string data;
  std::size_t have = 0;  // bytes read so far
  Span span;
};

struct Run {
  explicit Run(const Params& params) : p(params) {}
  const Params& p;
  uv_loop_t loop{};
  std::vector<File> files;
  int error = 0;  // the first failure, and where
  std::string error_path;
};

void on_open_input(uv_fs_t* req);
void on_read(uv_fs_t* req);
void on_close_input(uv_fs_t* req);
void on_open_output(uv_fs_t* req);
void on_write(uv_fs_t* req);
void on_sync(uv_fs_t* req);
void on_close_output(uv_fs_t* req);

File& file_of(uv_fs_t* req) {
  return *static_cast<File*>(req->data);
}

// A request's result: true if it succeeded. A failure is kept (the first one only) and the
// file's open descriptor closed, synchronously: nothing more to wait for.
bool ok(File& f, uv_fs_t* req) {
  const auto result = req->result;
  uv_fs_req_cleanup(req);
  if (result >= 0) return true;
  if (f.run->error == 0) {
    f.run->error = static_cast<int>(-result);
    f.run->error_path = f.path;
  }
  if (f.fd >= 0) {
    uv_fs_t close_req;
    uv_fs_close(nullptr, &close_req, f.fd, nullptr);  // no loop, no callback: at once
    uv_fs_req_cleanup(&close_req);
    f.fd = -1;
  }
  return false;
}

void read_more(File& f) {
  uv_buf_t buf = uv_buf_init(f.data.data() + f.have, static_cast<unsigned>(f.data.size() - f.have));
  uv_fs_read(&f.run->loop, &f.req, f.fd, &buf, 1, static_cast<int64_t>(f.have), on_read);
}

void start(File& f) {
  f.span.start_ns = monotonic_ns();
  f.path = f.run->p.input(f.index);
  f.req.data = &f;
  uv_fs_open(&f.run->loop, &f.req, f.path.c_str(), O_RDONLY | O_CLOEXEC, 0, on_open_input);
}

void on_open_input(uv_fs_t* req) {
  File& f = file_of(req);
  const auto fd = req->result;
  if (!ok(f, req)) return;
  f.fd = static_cast<uv_file>(fd);
  f.data.resize(f.run->p.size + 1);
  read_more(f);
}

void on_read(uv_fs_t* req) {
  File& f = file_of(req);
  const auto n = req->result;
  if (!ok(f, req)) return;
  f.have += static_cast<std::size_t>(n);
  if (n > 0 && f.have == f.data.size()) {  // larger than expected: read on
    f.data.resize(f.data.size() * 2);
    return read_more(f);
  }
  f.data.resize(f.have);
  uv_fs_close(&f.run->loop, &f.req, std::exchange(f.fd, -1), on_close_input);
}

void on_close_input(uv_fs_t* req) {
  File& f = file_of(req);
  if (!ok(f, req)) return;
  upper_case(f.data);
  f.path = f.run->p.output(f.index);
  uv_fs_open(&f.run->loop, &f.req, f.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644,
             on_open_output);
}

void on_open_output(uv_fs_t* req) {
  File& f = file_of(req);
  const auto fd = req->result;
  if (!ok(f, req)) return;
  f.fd = static_cast<uv_file>(fd);
  f.have = 0;
  uv_buf_t buf = uv_buf_init(f.data.data(), static_cast<unsigned>(f.data.size()));
  uv_fs_write(&f.run->loop, &f.req, f.fd, &buf, 1, 0, on_write);
}

void on_write(uv_fs_t* req) {
  File& f = file_of(req);
  const auto n = req->result;
  if (!ok(f, req)) return;
  f.have += static_cast<std::size_t>(n);
  if (f.have < f.data.size()) {  // a short write: the rest
    uv_buf_t buf =
        uv_buf_init(f.data.data() + f.have, static_cast<unsigned>(f.data.size() - f.have));
    return (void)uv_fs_write(&f.run->loop, &f.req, f.fd, &buf, 1, static_cast<int64_t>(f.have),
                             on_write);
  }
  if (f.run->p.sync) return (void)uv_fs_fdatasync(&f.run->loop, &f.req, f.fd, on_sync);
  uv_fs_close(&f.run->loop, &f.req, std::exchange(f.fd, -1), on_close_output);
}

void on_sync(uv_fs_t* req) {
  File& f = file_of(req);
  if (!ok(f, req)) return;
  uv_fs_close(&f.run->loop, &f.req, std::exchange(f.fd, -1), on_close_output);
}

void on_close_output(uv_fs_t* req) {
  File& f = file_of(req);
  if (ok(f, req)) f.span.end_ns = monotonic_ns();
  f.data = std::string();  // done with it
}

}  // namespace

unsigned uv_threadpool_size() {
  // libuv reads UV_THREADPOOL_SIZE once, when its pool starts: 4 unless set (at most 1024).
  const char* size = std::getenv("UV_THREADPOOL_SIZE");
  const long n = size ? std::strtol(size, nullptr, 10) : 4;
  return static_cast<unsigned>(n < 1 ? 1 : n > 1024 ? 1024 : n);
}

Files libuv(const Params& p) {
  Run run(p);
  if (int e = uv_loop_init(&run.loop); e < 0) throw std::runtime_error(uv_strerror(e));
  run.files.resize(p.files);
  for (std::size_t i = 0; i < p.files; ++i) {
    run.files[i].run = &run;
    run.files[i].index = i;
    start(run.files[i]);
  }
  uv_run(&run.loop, UV_RUN_DEFAULT);  // returns once every request has called back
  uv_loop_close(&run.loop);
  if (run.error) throw std::system_error(run.error, std::generic_category(), run.error_path);
  Files spans;
  spans.reserve(p.files);
  for (const File& f : run.files) spans.push_back(f.span);
  return spans;
}

}  // namespace cmbench::file_pipeline
