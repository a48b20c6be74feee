// The gateway's HTTP side (cpp-httplib): the dashboard, the REST API and server-sent events.
//
// Authentication: one token (--token-file). A request carries it as "Authorization: Bearer
// <token>" or in the HttpOnly, SameSite=Strict cookie that POST /api/login sets. Control
// actions always need it (without a configured token they are disabled); reads need it
// unless the gateway was started with --open-read.
#include <fmt/format.h>

#include "http_server.hpp"
#include "tinyml/error.hpp"
#include "tinyml/report/html.hpp"

namespace tinyml::gateway {

namespace {

constexpr const char* kCookie = "tinyml_token";

// Constant-time comparison: the time taken does not tell how much of a guess was right.
bool same_secret(const std::string& a, const std::string& b) {
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned>(a[i] ^ b[i % (b.empty() ? 1 : b.size())]);
  return diff == 0 && !b.empty();
}

std::string presented_token(const httplib::Request& req) {
  const std::string auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) == 0) return auth.substr(7);
  const std::string cookies = req.get_header_value("Cookie");
  const std::string key = std::string(kCookie) + "=";
  for (std::size_t pos = 0; pos < cookies.size();) {
    std::size_t end = cookies.find(';', pos);
    if (end == std::string::npos) end = cookies.size();
    std::string part = cookies.substr(pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.erase(0, 1);
    if (part.rfind(key, 0) == 0) return part.substr(key.size());
    pos = end + 1;
  }
  return {};
}

void json_reply(httplib::Response& res, const nlohmann::json& j, int status = 200) {
  res.status = status;
  res.set_content(j.dump(), "application/json");
}

void error_reply(httplib::Response& res, int status, const std::string& message) {
  json_reply(res, {{"error", message}}, status);
}

Query query_of(const httplib::Request& req, const std::string& device) {
  Query q;
  q.device = device;
  try {
    if (req.has_param("since")) q.since = std::stod(req.get_param_value("since"));
    if (req.has_param("limit")) q.limit = std::min<std::size_t>(std::stoul(req.get_param_value("limit")), 10000);
  } catch (const std::exception&) {
    q.limit = 0;  // refused below
  }
  return q;
}

}  // namespace

void Gateway::start() {
  mqtt_->start();
  if (o_.http) start_http();
}

int Gateway::http_port() const { return http_ ? http_->port : 0; }

void Gateway::stop_http() {
  if (!http_) return;
  http_->server.stop();
  if (http_->thread.joinable()) http_->thread.join();
  http_.reset();
}

void Gateway::start_http() {
  http_ = std::make_unique<Http>();
  httplib::Server& s = http_->server;
  // Server-sent event streams hold a thread each.
  s.new_task_queue = [] { return new httplib::ThreadPool(48); };
  s.set_payload_max_length(64 * 1024);

  // Authentication helpers: a reply is written and false returned when refused.
  auto authenticated = [this](const httplib::Request& req) {
    return !o_.token.empty() && same_secret(presented_token(req), o_.token);
  };
  auto may_read = [this, authenticated](const httplib::Request& req, httplib::Response& res) {
    if (o_.open_read || authenticated(req)) return true;
    ++counters_.bad_token;
    error_reply(res, 401, "a token is required (log in, or send Authorization: Bearer <token>)");
    return false;
  };
  auto may_control = [this, authenticated](const httplib::Request& req, httplib::Response& res) {
    if (o_.token.empty()) {
      error_reply(res, 403, "control is disabled: the gateway was started without --token-file");
      return false;
    }
    if (authenticated(req)) return true;
    ++counters_.bad_token;
    error_reply(res, 401, "a valid token is required to control devices");
    return false;
  };

  s.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(dashboard_html()), "text/html; charset=utf-8");
  });
  s.Get("/chart.js", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "max-age=86400");
    res.set_content(std::string(report::chartjs_source()), "application/javascript");
  });
  s.Get("/api/health", [this](const httplib::Request&, httplib::Response& res) {
    json_reply(res, {{"ok", true}, {"mqtt_connected", mqtt_->stats().connected}});
  });
  s.Get("/api/session", [this, authenticated](const httplib::Request& req, httplib::Response& res) {
    json_reply(res, {{"authenticated", authenticated(req)},
                     {"open_read", o_.open_read},
                     {"control", !o_.token.empty()}});
  });
  s.Post("/api/login", [this](const httplib::Request& req, httplib::Response& res) {
    const auto j = nlohmann::json::parse(req.body, nullptr, false);
    const std::string token = j.is_object() && j.contains("token") && j["token"].is_string() ? j["token"].get<std::string>() : "";
    if (o_.token.empty() || !same_secret(token, o_.token)) {
      ++counters_.bad_token;
      return error_reply(res, 401, "wrong token");
    }
    res.set_header("Set-Cookie", fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict", kCookie, token));
    json_reply(res, {{"authenticated", true}});
  });
  s.Post("/api/logout", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Set-Cookie", fmt::format("{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0", kCookie));
    json_reply(res, {{"authenticated", false}});
  });
  s.Get("/api/stats", [this, may_read](const httplib::Request& req, httplib::Response& res) {
    if (!may_read(req, res)) return;
    const MqttStats m = mqtt_->stats();
    json_reply(res, {{"counters", counters_.to_json()},
                     {"mqtt",
                      {{"connected", m.connected},
                       {"connects", m.connects},
                       {"received", m.received},
                       {"published", m.published},
                       {"acknowledged", m.acknowledged},
                       {"dropped", m.dropped},
                       {"backlog", m.backlog}}},
                     {"rows", store_->counts()},
                     {"store", store_->describe()}});
  });
  s.Get("/api/devices", [this, may_read](const httplib::Request& req, httplib::Response& res) {
    if (!may_read(req, res)) return;
    json_reply(res, store_->devices());
  });
  s.Get(R"(/api/devices/([A-Za-z0-9_-]{1,64})/(readings|predictions|actions|alerts|acks|commands))",
        [this, may_read](const httplib::Request& req, httplib::Response& res) {
          if (!may_read(req, res)) return;
          const Query q = query_of(req, req.matches[1]);
          if (q.limit == 0) return error_reply(res, 400, "since must be a number and limit a positive integer");
          const std::string what = req.matches[2];
          if (what == "commands") return json_reply(res, store_->commands(q));
          const Kind k = what == "readings"      ? Kind::Telemetry
                         : what == "predictions" ? Kind::Prediction
                         : what == "actions"     ? Kind::Action
                         : what == "alerts"      ? Kind::Alert
                                                 : Kind::Ack;
          json_reply(res, store_->records(k, q));
        });
  s.Get("/api/alerts", [this, may_read](const httplib::Request& req, httplib::Response& res) {
    if (!may_read(req, res)) return;
    const Query q = query_of(req, "");
    if (q.limit == 0) return error_reply(res, 400, "since must be a number and limit a positive integer");
    json_reply(res, store_->records(Kind::Alert, q));
  });
  s.Get("/api/events", [this, may_read](const httplib::Request& req, httplib::Response& res) {
    if (!may_read(req, res)) return;
    const std::string device = req.has_param("device") ? req.get_param_value("device") : "";
    res.set_header("Cache-Control", "no-cache");
    auto cursor = std::make_shared<std::uint64_t>(0);
    res.set_chunked_content_provider("text/event-stream", [this, device, cursor](std::size_t, httplib::DataSink& sink) {
      if (!sink.is_writable()) return false;
      std::string out;
      const auto events = events_after(*cursor, std::chrono::seconds(10));
      for (const auto& e : events) {
        if (!device.empty() && e.find("\"device\":\"" + device + "\"") == std::string::npos) continue;
        out += "data: " + e + "\n\n";
      }
      if (out.empty()) out = ": keep-alive\n\n";
      if (!sink.write(out.data(), out.size())) return false;
      return !stopping_.load();
    });
  });

  auto control = [this, may_control](const httplib::Request& req, httplib::Response& res, const std::string& kind) {
    if (!may_control(req, res)) return;
    const std::string device = req.matches[1];
    if (!allowed(device)) return error_reply(res, 404, fmt::format("unknown device '{}'", device));
    auto body = nlohmann::json::parse(req.body.empty() ? std::string("{}") : req.body, nullptr, false);
    if (!body.is_object()) return error_reply(res, 400, "the body must be a JSON object");
    if (kind == "actuator") {
      const std::string state = body.value("state", "");
      if (state != "on" && state != "off") return error_reply(res, 400, "state must be \"on\" or \"off\"");
      body = {{"actuator", std::string(req.matches[2])}, {"state", state}};
    }
    const std::string id = send_command(device, kind, std::move(body));
    json_reply(res, {{"id", id}, {"device", device}, {"status", "sent"}}, 202);
  };
  s.Post(R"(/api/devices/([A-Za-z0-9_-]{1,64})/actuators/([A-Za-z0-9_-]{1,64}))",
         [control](const httplib::Request& req, httplib::Response& res) { control(req, res, "actuator"); });
  s.Post(R"(/api/devices/([A-Za-z0-9_-]{1,64})/thresholds)",
         [control](const httplib::Request& req, httplib::Response& res) { control(req, res, "thresholds"); });
  s.Post(R"(/api/devices/([A-Za-z0-9_-]{1,64})/bundle)",
         [control](const httplib::Request& req, httplib::Response& res) { control(req, res, "bundle"); });

  if (o_.http_port == 0) {
    http_->port = s.bind_to_any_port(o_.http_host);
    if (http_->port <= 0) failure("cannot listen on {}", o_.http_host);
  } else {
    if (!s.bind_to_port(o_.http_host, o_.http_port)) failure("cannot listen on {}:{}", o_.http_host, o_.http_port);
    http_->port = o_.http_port;
  }
  http_->thread = std::thread([this] { http_->server.listen_after_bind(); });
}

}  // namespace tinyml::gateway
