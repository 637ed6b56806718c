// Where this process's sockets live: the network namespace it runs in and the address its
// servers listen on and its clients connect to. By default that is this machine's loopback,
// 127.0.0.1. A process placed on another host (a namespace made by scripts/hosts, or a real
// machine's address) sets both once, at its start, before it makes a socket:
//
//   host::enter_namespace("cmbench-a");                 // this thread and the ones it starts
//   host::set_server_address(host::own_address());      // a server here listens on 10.77.0.1
//
// tcp::listen and tcp::connect (and the blocking clients, the reference servers) read
// server_address(); nothing else in the models names an address.
//
// Guarantees: server_address() is 127.0.0.1 until set; addresses are IPv4. Namespaces are
// looked up as iproute2 names them, /run/netns/<name>. Failures throw std::system_error
// naming what was missing ("no network namespace cmbench-a (scripts/hosts up makes it)").
// Thread-safety: server_address() may be read from any thread; set it before the threads
// that read it start. enter_namespace changes the calling thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "models/core/fd.hpp"

namespace cmbench::host {

// The address servers in this process listen on and its clients connect to, in network
// byte order, and as text ("127.0.0.1").
std::uint32_t server_address();
std::string server_address_text();
void set_server_address(std::uint32_t address);

// Dotted-quad text to an address in network byte order; throws std::invalid_argument.
std::uint32_t parse_address(std::string_view text);
std::string address_text(std::uint32_t address);

// Moves the calling thread into the network namespace `name` (threads and processes it starts
// later are born there). Returns the namespace it left, to go back with return_to. Needs
// CAP_SYS_ADMIN (root).
Fd enter_namespace(std::string_view name);
void return_to(const Fd& namespace_left);

// The lowest IPv4 address of an interface other than loopback that is up, in the calling
// thread's namespace: a namespace's own address (10.77.0.1 in scripts/hosts' cmbench-a, which
// has one per link). Throws if it has none.
std::uint32_t own_address();

}  // namespace cmbench::host
