// eval/liveness_video_metrics.h - ISO/IEC 30107-3 error rates of an active
// liveness check over videos, and its time to decision.
//
// WHAT THIS REPRESENTS
//   One VideoOutcome per video (bona fide or attack, with its presentation
//   attack instrument species, PAIS, e.g. "phone", "replay"); the summary
//   gives, per ISO/IEC 30107-3:
//     APCER per PAIS = attacks of that species accepted / attacks of it;
//     APCER (the standard's figure for the system) = the largest of those;
//     BPCER = bona fide videos rejected / bona fide videos;
//   and the time to decision (from the challenge's start to its pass, for
//   accepted bona fide videos; to its timeout for rejected videos): median
//   and 90th percentile (nearest rank).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace facekit::eval {

struct VideoOutcome {
  std::string path;
  bool attack = false;
  std::string species;                      ///< attacks: the PAIS; bona fide: ""
  bool accepted = false;                    ///< the check passed for some face of the video
  std::optional<std::int64_t> decision_ms;  ///< time to the deciding pass (accepted) or timeout
};

struct SpeciesErrors {
  int attacks = 0;
  int accepted = 0;
  double apcer = 0;
};

struct LivenessVideoMetrics {
  int bona_fide = 0, attacks = 0;
  int bona_fide_rejected = 0, attacks_accepted = 0;
  double bpcer = 0;
  double apcer_max = 0;     ///< largest APCER over the species
  double apcer_pooled = 0;  ///< all attacks together
  std::map<std::string, SpeciesErrors> species;
  /// Bona fide videos accepted: time to the pass.
  std::optional<double> accept_ms_median, accept_ms_p90;
  /// Videos rejected after a timeout: time to the timeout.
  std::optional<double> reject_ms_median, reject_ms_p90;
};

LivenessVideoMetrics SummariseLivenessVideos(const std::vector<VideoOutcome>& outcomes);

/// Nearest-rank percentile (q in (0, 1]) of `v`; nullopt for none.
std::optional<double> NearestRank(std::vector<double> v, double q);

}  // namespace facekit::eval
