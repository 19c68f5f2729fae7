#include "media/webhook_sender.h"

#include <curl/curl.h>

#include <chrono>
#include <thread>

namespace facekit::media {

namespace {

std::size_t Discard(char* /*data*/, std::size_t size, std::size_t n, void* /*user*/) { return size * n; }

}  // namespace

WebhookSender::WebhookSender(WebhookOptions options) : options_(std::move(options)) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  curl_ = curl_easy_init();
}

WebhookSender::~WebhookSender() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

void WebhookSender::Offer(std::string body, std::int64_t now_ms) {
  if (options_.backlog == 0) {
    ++stats_.dropped;
    return;
  }
  while (backlog_.size() >= options_.backlog) {
    backlog_.pop_front();
    ++stats_.dropped;
  }
  backlog_.push_back(std::move(body));
  Drain(now_ms, false);
}

std::size_t WebhookSender::Flush() {
  Drain(0, true);
  return backlog_.size();
}

void WebhookSender::Drain(std::int64_t now_ms, bool force) {
  if (!force && now_ms < next_try_ms_) return;
  while (!backlog_.empty()) {
    if (!Deliver(backlog_.front())) {
      ++stats_.failures;
      next_try_ms_ = now_ms + options_.retry_after_ms;
      return;
    }
    backlog_.pop_front();
    ++stats_.delivered;
  }
}

bool WebhookSender::Deliver(const std::string& body) {
  int wait_ms = options_.backoff_ms;
  for (int attempt = 0; attempt <= options_.max_retries; ++attempt) {
    if (attempt > 0 && wait_ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));  // backoff between retries
      wait_ms *= 2;
    }
    if (PostOnce(body)) return true;
  }
  return false;
}

bool WebhookSender::PostOnce(const std::string& body) {
  CURL* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return false;
  ++stats_.attempts;
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  if (!options_.authorization.empty()) {
    headers = curl_slist_append(headers, ("Authorization: " + options_.authorization).c_str());
  }
  curl_easy_reset(curl);
  curl_easy_setopt(curl, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Discard);
  const CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(headers);
  return rc == CURLE_OK && code >= 200 && code < 300;
}

}  // namespace facekit::media
