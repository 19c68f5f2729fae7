// A raw HTTP/1.1 client for the server tests: one request over a fresh
// loopback connection, one answer read by Content-Length.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <string>

namespace facekit::testing {

struct HttpAnswer {
  int status = 0;  // 0 = no answer
  std::string head, body;
  nlohmann::json Json() const { return nlohmann::json::parse(body, nullptr, false); }
  // The value of header `name` (lower case) in `head`; "" when absent.
  std::string Header(const std::string& name) const {
    std::size_t at = 0;
    while ((at = head.find("\r\n", at)) != std::string::npos) {
      at += 2;
      const std::string line = head.substr(at, head.find("\r\n", at) - at);
      const std::size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string key = line.substr(0, colon);
      for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (key != name) continue;
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      return value;
    }
    return "";
  }
};

// Sends `raw` to 127.0.0.1:port and reads one response (by Content-Length) or
// until the server closes.
inline HttpAnswer HttpExchange(std::uint16_t port, const std::string& raw) {
  HttpAnswer a;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{120, 0};  // a hung server fails the test instead of hanging it
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return a;
  }
  std::size_t sent = 0;
  while (sent < raw.size()) {
    const ssize_t n = ::send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string in;
  char buf[65536];
  for (;;) {
    const auto header_end = in.find("\r\n\r\n");
    if (header_end != std::string::npos) {
      const auto cl = in.find("Content-Length: ");
      if (cl != std::string::npos && cl < header_end) {
        const std::size_t length = std::stoul(in.substr(cl + 16));
        if (in.size() >= header_end + 4 + length) break;
      }
    }
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    in.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const auto header_end = in.find("\r\n\r\n");
  if (in.size() < 12 || header_end == std::string::npos) return a;
  a.status = std::stoi(in.substr(9, 3));
  a.head = in.substr(0, header_end);
  a.body = in.substr(header_end + 4);
  return a;
}

}  // namespace facekit::testing
