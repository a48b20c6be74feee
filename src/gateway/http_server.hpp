// The gateway's HTTP server state, shared by gateway.cpp (construction, destruction) and
// http.cpp (the routes).
#pragma once

#include <httplib.h>

#include <thread>

#include "tinyml/gateway/gateway.hpp"

namespace tinyml::gateway {

struct Gateway::Http {
  httplib::Server server;
  std::thread thread;
  int port = 0;
};

}  // namespace tinyml::gateway
