// eval/liveness_eval.h - presentation attack detection metrics (ISO/IEC
// 30107-3) of the liveness decision and of each of its cues.
//
// WHAT THIS REPRESENTS
//   A LivenessSample is one judged face: bona fide (live) or an attack of a
//   named species (phone, tablet, monitor, "replay" for a folder of
//   spoofs), its cue values and the combined decision. PadRates counts, for
//   one classifier over the samples:
//     APCER (per species)  attacks of the species classified bona fide /
//                          attacks of the species;
//     APCER                the largest species APCER (30107-3's APCER is
//                          reported per species; its summary is the worst);
//     APCER pooled         all attacks classified bona fide / all attacks;
//     BPCER                bona fide classified as attacks / bona fide;
//     ACER                 (APCER + BPCER) / 2 (from ISO/IEC 30107-3:2017,
//                          dropped from later editions; kept for comparison).
//   CueReport adds, for one cue alone, how many samples it measured, its ROC
//   AUC (value as attack score; unmeasured samples left out; 0.5 = chance,
//   below 0.5 = the cue points the other way) and ThresholdAtBpcer: the
//   smallest threshold at which at most `bpcer` of the bona fide samples
//   fire.
//
// THREAD SAFETY
//   Pure functions.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "eval/verification_metrics.h"
#include "facekit/liveness_decision.h"

namespace facekit::eval {

struct LivenessSample {
  std::string name;
  bool attack = false;
  std::string species;          ///< empty for bona fide
  bool medium_in_frame = true;  ///< replays: the whole device is in the frame
  std::vector<SpoofCue> cues;
  bool judged_live = false;  ///< the combined decision
  std::optional<LivenessResult> passive;
};

struct PadRates {
  long attacks = 0, attacks_accepted = 0, bona_fide = 0, bona_fide_rejected = 0;
  std::map<std::string, std::pair<long, long>> species;  ///< species -> (accepted, total)
  double apcer = 0;                                      ///< worst species
  double apcer_pooled = 0;
  double bpcer = 0;
  double acer = 0;
};

/// `judged_attack` classifies one sample.
PadRates PadRatesOf(const std::vector<LivenessSample>& samples,
                    const std::function<bool(const LivenessSample&)>& judged_attack);

struct CueReport {
  std::string name;
  long measured = 0;
  std::optional<double> auc;  ///< absent unless both classes were measured
  float threshold = 0;
  bool decisive = false;
  PadRates rates;  ///< the cue alone at `threshold` (unmeasured = not fired)
};

/// One report per cue name found in the samples (in the samples' order),
/// each at the threshold the samples carry.
std::vector<CueReport> ReportCues(const std::vector<LivenessSample>& samples);

/// ROC AUC of scores where `same` marks attacks; absent unless both
/// attacks and bona fide samples are there.
std::optional<double> AttackAuc(const std::vector<ScoredPair>& scored);

/// The smallest threshold at which at most `bpcer` of the bona fide samples
/// that measured `cue` fire (value >= threshold); +infinity without any.
float ThresholdAtBpcer(const std::vector<LivenessSample>& samples, const std::string& cue, double bpcer);

}  // namespace facekit::eval
