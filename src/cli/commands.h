// commands.h - subcommand registration for the facekit CLI.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "cli/cli_common.h"
#include "pipeline/registry.h"

namespace facekit::cli {

/// Each Register* adds a subcommand to `app`; when it is selected, `*run`
/// is set to its action, which returns the process exit status.
using Action = std::function<int()>;

void RegisterDetect(CLI::App& app, const GlobalOptions& g, Action* run);
void RegisterCompare(CLI::App& app, const GlobalOptions& g, Action* run);
void RegisterEmbed(CLI::App& app, const GlobalOptions& g, Action* run);
void RegisterModels(CLI::App& app, const GlobalOptions& g, Action* run);
void RegisterSelfcheck(CLI::App& app, const GlobalOptions& g, Action* run);
/// Returns the "eval" subcommand so that other files can add to it.
CLI::App* RegisterEval(CLI::App& app, const GlobalOptions& g, Action* run);
/// `facekit eval verify` (cmd_eval_verify.cc), under the eval subcommand.
void RegisterEvalVerify(CLI::App* eval_app, const GlobalOptions& g, Action* run);
void RegisterCalibrate(CLI::App& app, const GlobalOptions& g, Action* run);
/// `facekit gallery ...` (create-group, enroll, search, list, delete, export, import).
void RegisterGallery(CLI::App& app, const GlobalOptions& g, Action* run);
/// export and import, under the gallery subcommand.
void RegisterGalleryTransfer(CLI::App* gallery_app, const GlobalOptions& g, Action* run);
/// `facekit eval identify`, under the eval subcommand.
void RegisterIdentify(CLI::App* eval_app, const GlobalOptions& g, Action* run);
/// `facekit bench search`.
void RegisterBench(CLI::App& app, const GlobalOptions& g, Action* run);
/// `facekit bench restart` (cmd_bench_restart.cc), under the bench command.
void RegisterBenchRestart(CLI::App* bench, Action* run);
/// `facekit bench soak` (cmd_bench_soak.cc): kill -9 and restart a real server under load.
void RegisterBenchSoak(CLI::App* bench, const GlobalOptions& g, Action* run);
/// `facekit bench load` (cmd_bench_load.cc): many connections of signed cloud API calls.
void RegisterBenchLoad(CLI::App* bench, const GlobalOptions& g, Action* run);
/// `facekit bench shared-store` (cmd_bench_shared_store.cc): read-after-write between two nodes on PostgreSQL.
void RegisterBenchSharedStore(CLI::App* bench, const GlobalOptions& g, Action* run);
/// `facekit bench cluster` (cmd_bench_cluster.cc): a sharded cluster on this machine, its latency, recall, memory, failover.
void RegisterBenchCluster(CLI::App* bench, const GlobalOptions& g, Action* run);
/// `facekit cluster status` (cmd_cluster.cc): the nodes registered in etcd and the shard map.
void RegisterCluster(CLI::App& app, Action* run);
/// `facekit liveness` and, under `eval_app`, `facekit eval liveness`.
void RegisterLiveness(CLI::App& app, CLI::App* eval_app, const GlobalOptions& g, Action* run);
/// `facekit eval liveness` (cmd_eval_liveness.cc), under the eval subcommand.
void RegisterEvalLiveness(CLI::App* eval_app, const GlobalOptions& g, Action* run);

/// `facekit eval liveness-video` and `facekit eval liveness-video-set`
/// (cmd_liveness_video.cc), under the eval subcommand.
void RegisterLivenessVideo(CLI::App* eval_app, const GlobalOptions& g, Action* run);

/// `facekit eval attributes` (cmd_eval_attributes.cc), under the eval subcommand.
void RegisterEvalAttributes(CLI::App* eval_app, const GlobalOptions& g, Action* run);

/// `facekit objects` and, under `eval_app`, `facekit eval objects` (cmd_objects.cc).
void RegisterObjects(CLI::App& app, CLI::App* eval_app, const GlobalOptions& g, Action* run);

/// `facekit eval landmarks` (cmd_landmarks.cc), under the eval subcommand.
void RegisterEvalLandmarks(CLI::App* eval_app, const GlobalOptions& g, Action* run);
/// `facekit eval mask` (cmd_eval_mask.cc), under the eval subcommand.
void RegisterEvalMask(CLI::App* eval_app, const GlobalOptions& g, Action* run);

/// `facekit serve`.
void RegisterServe(CLI::App& app, const GlobalOptions& g, Action* run);
/// `facekit pipeline run GRAPH [--set k=v]...` (docs/attendance.md).
void RegisterPipeline(CLI::App& app, const GlobalOptions& g, Action* run);
/// Registers the node types of `facekit pipeline run` into `registry`: the
/// framework's, the media nodes and the face nodes (sharing one engine made
/// from the global options on first use).
Status RegisterGraphNodes(pipeline::NodeRegistry& registry, const GlobalOptions& g);
/// `facekit keys create|list|revoke`.
void RegisterKeys(CLI::App& app, Action* run);

}  // namespace facekit::cli
