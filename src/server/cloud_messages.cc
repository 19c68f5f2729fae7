#include "server/cloud_messages.h"

#include <algorithm>
#include <charconv>
#include <map>

namespace facekit::server {

namespace {

const std::map<std::string_view, std::string_view>& ChineseMessages() {
  static const std::map<std::string_view, std::string_view> m = {
      {"AuthFailure.InvalidAuthorization", "请求头部的 Authorization 不符合腾讯云标准"},
      {"AuthFailure.SecretIdNotFound", "密钥不存在或已被禁用"},
      {"AuthFailure.SignatureExpire", "签名过期，Timestamp 和服务器时间相差不得超过五分钟"},
      {"AuthFailure.SignatureFailure", "签名错误"},
      {"AuthFailure.UnauthorizedOperation", "请求未授权"},
      {"FailedOperation.FaceQualityNotQualified", "图片质量不符要求"},
      {"FailedOperation.FaceSizeTooSmall", "人脸框大小小于MinFaceSize设置，人脸被过滤"},
      {"FailedOperation.GroupPersonMapExist", "人员已存在于该人员库中"},
      {"FailedOperation.GroupPersonMapNotExist", "人员不存在于该人员库中"},
      {"FailedOperation.ImageDecodeFailed", "图片解码失败"},
      {"FailedOperation.ImageDownloadError", "图片下载错误"},
      {"FailedOperation.ImageResolutionExceed", "图片分辨率过大"},
      {"FailedOperation.ImageResolutionTooSmall", "图片短边分辨率小于64"},
      {"FailedOperation.ImageSizeExceed", "base64编码后的图片数据大小不超过5M"},
      {"FailedOperation.RequestTimeout", "后端服务超时"},
      {"FailedOperation.SearchFacesExceed", "检索的人脸数超过限制"},
      {"FailedOperation.ServerError", "算法服务异常，请重试"},
      {"FailedOperation.ShardsUnavailable", "部分分片暂时无法应答，请重试"},
      {"InternalError", "内部错误"},
      {"InvalidAction", "接口不存在"},
      {"InvalidParameter", "参数错误"},
      {"InvalidParameterValue", "参数取值错误"},
      {"InvalidParameterValue.DeleteFaceNumExceed", "删除的人脸数量超过限制"},
      {"InvalidParameterValue.FaceMatchThresholdIllegal", "出参阈值不合法"},
      {"InvalidParameterValue.FaceModelVersionIllegal", "算法模型版本不合法"},
      {"InvalidParameterValue.GroupExDescriptionsExceed", "人员库自定义描述字段数量超过限制"},
      {"InvalidParameterValue.GroupIdAlreadyExist", "人员库ID已经存在"},
      {"InvalidParameterValue.GroupIdIllegal", "人员库ID包含非法字符"},
      {"InvalidParameterValue.GroupIdNotExist", "人员库不存在"},
      {"InvalidParameterValue.GroupIdTooLong", "人员库ID长度超出限制"},
      {"InvalidParameterValue.GroupIdsExceed", "人员库数量超出限制"},
      {"InvalidParameterValue.GroupNameAlreadyExist", "人员库名称已经存在"},
      {"InvalidParameterValue.GroupNameIllegal", "人员库名称包含非法字符"},
      {"InvalidParameterValue.GroupNameTooLong", "人员库名称长度超出限制"},
      {"InvalidParameterValue.GroupNumPerPersonExceed", "人员所属人员库数量超出限制"},
      {"InvalidParameterValue.ImageEmpty", "图片为空"},
      {"InvalidParameterValue.LimitExceed", "返回数量超出限制"},
      {"InvalidParameterValue.NoFaceInPhoto", "图片中没有人脸"},
      {"InvalidParameterValue.OffsetExceed", "起始序号过大"},
      {"InvalidParameterValue.PersonFaceNumExceed", "人员人脸数量超出限制"},
      {"InvalidParameterValue.PersonGenderIllegal", "人员性别不合法"},
      {"InvalidParameterValue.PersonIdAlreadyExist", "人员ID已经存在"},
      {"InvalidParameterValue.PersonIdIllegal", "人员ID包含非法字符"},
      {"InvalidParameterValue.PersonIdNotExist", "人员不存在"},
      {"InvalidParameterValue.PersonIdTooLong", "人员ID长度超出限制"},
      {"InvalidParameterValue.PersonNameIllegal", "人员名称包含非法字符"},
      {"InvalidParameterValue.PersonNameTooLong", "人员名称长度超出限制"},
      {"InvalidParameterValue.UploadFaceNumExceed", "上传的人脸数量超出限制"},
      {"InvalidParameterValue.UrlIllegal", "URL格式不合法"},
      {"LimitExceeded", "超过配额限制"},
      {"MissingParameter", "缺少参数"},
      {"NoSuchVersion", "接口版本不存在"},
      {"RequestLimitExceeded", "请求的次数超过了频率限制"},
      {"RequestSizeLimitExceeded", "请求包超过限制大小"},
      {"ResourceNotFound", "资源不存在"},
      {"UnauthorizedOperation", "未授权操作"},
      {"UnknownParameter", "未知参数"},
      {"UnsupportedOperation", "操作不支持"},
      {"UnsupportedProtocol", "不支持的请求方式"},
  };
  return m;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// An Accept-Language range's language, by its primary subtag: "zh-TW" ->
// "zh-CN", "EN" -> "en-US", "*" -> `fallback`; "" for one not offered.
std::string_view Offered(std::string_view range, std::string_view fallback) {
  if (range == "*") return fallback;
  const std::string_view primary = range.substr(0, range.find('-'));
  auto is = [&](std::string_view want) {
    return primary.size() == want.size() &&
           std::equal(primary.begin(), primary.end(), want.begin(), [](char a, char b) { return (a | 0x20) == b; });
  };
  if (is("zh")) return "zh-CN";
  if (is("en")) return "en-US";
  return {};
}

}  // namespace

std::string ErrorLanguage(std::string_view tc_language, std::string_view accept_language, std::string_view fallback) {
  if (tc_language == "zh-CN" || tc_language == "en-US") return std::string(tc_language);
  std::string_view best;
  double best_q = 0;
  while (!accept_language.empty()) {
    const auto comma = accept_language.find(',');
    std::string_view item = accept_language.substr(0, comma);
    accept_language.remove_prefix(comma == std::string_view::npos ? accept_language.size() : comma + 1);
    const auto semicolon = item.find(';');
    const std::string_view range = Trim(item.substr(0, semicolon));
    double q = 1;
    if (semicolon != std::string_view::npos) {
      const std::string_view param = Trim(item.substr(semicolon + 1));
      if (!param.starts_with("q=") ||
          std::from_chars(param.data() + 2, param.data() + param.size(), q).ec != std::errc()) {
        continue;  // malformed: ignored
      }
    }
    const std::string_view language = Offered(range, fallback);
    if (!language.empty() && q > best_q) {
      best = language;
      best_q = q;
    }
  }
  return std::string(best.empty() ? fallback : best);
}

std::string LocalisedMessage(std::string_view code, const std::string& english, std::string_view language) {
  if (language != "zh-CN") return english;
  const auto& m = ChineseMessages();
  const auto it = m.find(code);
  if (it == m.end()) return english;
  return std::string(it->second) + "（" + english + "）";
}

}  // namespace facekit::server
