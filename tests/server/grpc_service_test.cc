// The facekit.v1 gRPC service on the real server's one port, spoken to with
// the generated C++ stub over an insecure HTTP/2 channel.
#include "server/grpc_service.h"

#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <set>

#include "one_port_test_util.h"
#include "server/grpc_methods.h"
#include "server/grpc_status_map.h"

namespace facekit::server {
namespace {

using testing::PhotoBytes;
namespace v1 = ::facekit::v1;
using Stub = v1::FaceKit::Stub;

class GrpcServerTest : public testing::OnePortServerTest {};

TEST_F(GrpcServerTest, EnrolSearchVerifyCompareDetectListDelete) {
  v1::CreateGroupRequest create_group;
  create_group.set_group_id("staff");
  create_group.set_group_name("Staff");
  create_group.add_ex_descriptions("desk");
  v1::Group group;
  auto r = Rpc(&Stub::CreateGroup, "CreateGroup", create_group, &group);
  ASSERT_TRUE(r.ok()) << r.status.error_message();
  EXPECT_EQ(group.group_id(), "staff");
  EXPECT_EQ(group.group_name(), "Staff");
  EXPECT_EQ(group.face_model_version(), "3.0");
  EXPECT_GT(group.creation_timestamp(), 0);

  v1::CreatePersonRequest create_person;
  create_person.set_group_id("staff");
  create_person.set_person_id("obama");
  create_person.set_person_name("Barack");
  create_person.set_gender(1);
  create_person.set_image(PhotoBytes("obama.jpg"));
  v1::CreatePersonResponse person;
  r = Rpc(&Stub::CreatePerson, "CreatePerson", create_person, &person);
  ASSERT_TRUE(r.ok()) << r.status.error_message();
  EXPECT_FALSE(person.face_id().empty());
  EXPECT_GT(person.face_rect().width(), 20);
  EXPECT_TRUE(person.similar_person_id().empty());

  v1::SearchRequest search;
  search.add_group_ids("staff");
  search.set_image(PhotoBytes("obama2.jpg"));
  search.set_need_person_info(true);
  v1::SearchResponse found;
  r = Rpc(&Stub::SearchFaces, "SearchFaces", search, &found);
  ASSERT_TRUE(r.ok()) << r.status.error_message();
  ASSERT_EQ(found.results_size(), 1);
  ASSERT_GE(found.results(0).candidates_size(), 1);
  const v1::Candidate& best = found.results(0).candidates(0);
  EXPECT_EQ(best.person_id(), "obama");
  EXPECT_EQ(best.face_id(), person.face_id());
  EXPECT_GE(best.score(), 80.0F);
  EXPECT_EQ(best.person_name(), "Barack");
  EXPECT_EQ(found.face_num(), 1);

  search.set_by_group(true);  // SearchPersonsReturnsByGroup
  v1::SearchResponse by_group;
  r = Rpc(&Stub::SearchPersons, "SearchPersons", search, &by_group);
  ASSERT_TRUE(r.ok()) << r.status.error_message();
  ASSERT_EQ(by_group.results_size(), 1);
  EXPECT_EQ(by_group.results(0).candidates_size(), 0);
  ASSERT_EQ(by_group.results(0).group_candidates_size(), 1);
  ASSERT_GE(by_group.results(0).group_candidates(0).candidates_size(), 1);
  EXPECT_EQ(by_group.results(0).group_candidates(0).candidates(0).person_id(), "obama");
  EXPECT_EQ(by_group.person_num(), 1);

  v1::VerifyRequest verify;
  verify.set_person_id("obama");
  verify.set_image(PhotoBytes("obama2.jpg"));
  v1::VerifyResponse verified;
  r = Rpc(&Stub::VerifyFace, "VerifyFace", verify, &verified);
  ASSERT_TRUE(r.ok()) << r.status.error_message();
  EXPECT_TRUE(verified.is_match());
  EXPECT_GE(verified.score(), 60.0F);

  v1::CompareFacesRequest compare;
  compare.set_image_a(PhotoBytes("obama.jpg"));
  compare.set_image_b(PhotoBytes("obama2.jpg"));
  v1::CompareFacesResponse same;
  r = Rpc(&Stub::CompareFaces, "CompareFaces", compare, &same);
  ASSERT_TRUE(r.ok()) << r.status.error_message();
  compare.set_image_b(PhotoBytes("biden.jpg"));
  v1::CompareFacesResponse other;
  r = Rpc(&Stub::CompareFaces, "CompareFaces", compare, &other);
  ASSERT_TRUE(r.ok()) << r.status.error_message();
  EXPECT_GE(same.score(), 60.0F);
  EXPECT_LT(other.score(), same.score());

  v1::DetectFacesRequest detect;
  detect.set_image(PhotoBytes("obama.jpg"));
  detect.set_need_quality_detection(true);
  v1::DetectFacesResponse faces;
  r = Rpc(&Stub::DetectFaces, "DetectFaces", detect, &faces);
  ASSERT_TRUE(r.ok()) << r.status.error_message();
  EXPECT_GT(faces.image_width(), 0);
  ASSERT_EQ(faces.faces_size(), 1);
  EXPECT_EQ(faces.faces(0).rect().width(), person.face_rect().width());
  EXPECT_TRUE(faces.faces(0).has_quality());

  v1::ListPersonsRequest list;
  list.set_group_id("staff");
  v1::ListPersonsResponse persons;
  r = Rpc(&Stub::ListPersons, "ListPersons", list, &persons);
  ASSERT_TRUE(r.ok()) << r.status.error_message();
  ASSERT_EQ(persons.persons_size(), 1);
  EXPECT_EQ(persons.persons(0).person_id(), "obama");
  EXPECT_EQ(persons.persons(0).face_ids_size(), 1);
  EXPECT_EQ(persons.person_num(), 1);

  v1::DeletePersonRequest delete_person;
  delete_person.set_person_id("obama");
  google::protobuf::Empty empty;
  r = Rpc(&Stub::DeletePerson, "DeletePerson", delete_person, &empty);
  ASSERT_TRUE(r.ok()) << r.status.error_message();
  v1::DeleteGroupRequest delete_group;
  delete_group.set_group_id("staff");
  r = Rpc(&Stub::DeleteGroup, "DeleteGroup", delete_group, &empty);
  ASSERT_TRUE(r.ok()) << r.status.error_message();
  v1::GetGroupRequest get_group;
  get_group.set_group_id("staff");
  r = Rpc(&Stub::GetGroup, "GetGroup", get_group, &group);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(GrpcServerTest, ErrorsCarryTheCloudCode) {
  v1::ListPersonsRequest list;
  list.set_group_id("nobody-here");
  v1::ListPersonsResponse persons;
  auto r = Rpc(&Stub::ListPersons, "ListPersons", list, &persons);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(r.code, "InvalidParameterValue.GroupIdNotExist");
  EXPECT_TRUE(r.status.error_message().starts_with("InvalidParameterValue.GroupIdNotExist: "))
      << r.status.error_message();

  v1::CreateGroupRequest create;
  create.set_group_id("g");  // no group_name
  v1::Group group;
  r = Rpc(&Stub::CreateGroup, "CreateGroup", create, &group);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(r.code, "MissingParameter");

  v1::DetectFacesRequest detect;
  detect.set_image("not an image");
  v1::DetectFacesResponse faces;
  r = Rpc(&Stub::DetectFaces, "DetectFaces", detect, &faces);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(r.code, "FailedOperation.ImageDecodeFailed");

  create.set_group_name("G");
  ASSERT_TRUE(Rpc(&Stub::CreateGroup, "CreateGroup", create, &group).ok());
  create.set_group_name("G2");
  r = Rpc(&Stub::CreateGroup, "CreateGroup", create, &group);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(r.code, "InvalidParameterValue.GroupIdAlreadyExist");
}

TEST_F(GrpcServerTest, ReadOnlyKeysCannotWrite) {
  v1::CreateGroupRequest create;
  create.set_group_id("g");
  create.set_group_name("G");
  v1::Group group;
  auto r = Rpc(&Stub::CreateGroup, "CreateGroup", create, &group, "AKIDreader");
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(r.code, "AuthFailure.UnauthorizedOperation");
  v1::ListGroupsResponse groups;
  r = Rpc(&Stub::ListGroups, "ListGroups", v1::ListGroupsRequest(), &groups, "AKIDreader");
  EXPECT_TRUE(r.ok()) << r.status.error_message();
  EXPECT_EQ(groups.group_num(), 0);
}

TEST_F(GrpcServerTest, KeysLimitedToAGroupSeeOnlyThatGroup) {
  for (const char* id : {"a", "b"}) {
    v1::CreateGroupRequest create;
    create.set_group_id(id);
    create.set_group_name(std::string("Group ") + id);
    v1::Group group;
    ASSERT_TRUE(Rpc(&Stub::CreateGroup, "CreateGroup", create, &group).ok());
  }
  v1::ListPersonsRequest list;
  list.set_group_id("b");
  v1::ListPersonsResponse persons;
  auto r = Rpc(&Stub::ListPersons, "ListPersons", list, &persons, "AKIDscoped");
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(r.code, "AuthFailure.UnauthorizedOperation");
  list.set_group_id("a");
  r = Rpc(&Stub::ListPersons, "ListPersons", list, &persons, "AKIDscoped");
  EXPECT_TRUE(r.ok()) << r.status.error_message();

  v1::ListGroupsResponse groups;
  r = Rpc(&Stub::ListGroups, "ListGroups", v1::ListGroupsRequest(), &groups, "AKIDscoped");
  ASSERT_TRUE(r.ok()) << r.status.error_message();
  ASSERT_EQ(groups.groups_size(), 1);
  EXPECT_EQ(groups.groups(0).group_id(), "a");
}

TEST_F(GrpcServerTest, SignaturesAreCheckedOverMethodAndMessage) {
  v1::ListGroupsRequest request;
  v1::ListGroupsResponse groups;
  auto r = Rpc(&Stub::ListGroups, "ListGroups", request, &groups, "AKIDadmin", "not-the-secret");
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(r.code, "AuthFailure.SignatureFailure");

  r = Rpc(&Stub::ListGroups, "ListGroups", request, &groups, "AKIDnobody");
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(r.code, "AuthFailure.SecretIdNotFound");

  {  // no credentials at all
    grpc::ClientContext ctx;
    const grpc::Status s = stub_->ListGroups(&ctx, request, &groups);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {  // a signature made for another method (same message bytes) does not transfer
    v1::GetGroupRequest get;
    get.set_group_id("g");
    v1::DeleteGroupRequest del;
    del.set_group_id("g");
    ASSERT_EQ(get.SerializeAsString(), del.SerializeAsString());
    grpc::ClientContext ctx;
    SignGrpc(&ctx, "GetGroup", get, "AKIDadmin", "secret-of-AKIDadmin");
    google::protobuf::Empty empty;
    const grpc::Status s = stub_->DeleteGroup(&ctx, del, &empty);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {  // a signature over another message does not transfer
    v1::ListGroupsRequest signed_request;
    signed_request.set_limit(5);
    grpc::ClientContext ctx;
    SignGrpc(&ctx, "ListGroups", signed_request, "AKIDadmin", "secret-of-AKIDadmin");
    request.set_limit(6);
    const grpc::Status s = stub_->ListGroups(&ctx, request, &groups);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
}

TEST_F(GrpcServerTest, BearerSecretIsAcceptedFromLoopback) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer AKIDadmin:secret-of-AKIDadmin");
  v1::ListGroupsResponse groups;
  EXPECT_TRUE(stub_->ListGroups(&ctx, v1::ListGroupsRequest(), &groups).ok());
  grpc::ClientContext wrong;
  wrong.AddMetadata("authorization", "Bearer AKIDadmin:guess");
  EXPECT_EQ(stub_->ListGroups(&wrong, v1::ListGroupsRequest(), &groups).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(GrpcServerTest, RateLimitIsResourceExhausted) {
  v1::ListGroupsResponse groups;
  auto r = Rpc(&Stub::ListGroups, "ListGroups", v1::ListGroupsRequest(), &groups, "AKIDslow");
  EXPECT_TRUE(r.ok()) << r.status.error_message();
  r = Rpc(&Stub::ListGroups, "ListGroups", v1::ListGroupsRequest(), &groups, "AKIDslow");
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(r.code, "RequestLimitExceeded");
}

// One request and one answer of `method` through the generic (streaming) API,
// as raw protobuf bytes: used for the reflection stream
// (grpc.reflection.v1alpha) and the health service, whose messages have no
// generated classes here.
std::string GenericCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                        const std::string& request) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  auto call = stub.PrepareCall(&ctx, method, &cq);
  void* tag = nullptr;
  bool ok = false;
  auto step = [&](std::intptr_t expected) {
    EXPECT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(reinterpret_cast<std::intptr_t>(tag), expected);
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  if (!step(1)) return {};
  grpc::Slice slice(request);
  call->Write(grpc::ByteBuffer(&slice, 1), reinterpret_cast<void*>(2));
  if (!step(2)) return {};
  call->WritesDone(reinterpret_cast<void*>(3));
  step(3);
  grpc::ByteBuffer reply;
  call->Read(&reply, reinterpret_cast<void*>(4));
  const bool got = step(4);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  step(5);
  EXPECT_TRUE(status.ok()) << status.error_message();
  std::string out;
  std::vector<grpc::Slice> slices;
  if (got && reply.Dump(&slices).ok()) {
    for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

std::string ReflectionCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& request) {
  return GenericCall(channel, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", request);
}

// grpc.health.v1.Health/Check for the whole server (empty request): status field 1 = SERVING (1).
TEST_F(GrpcServerTest, StandardHealthServiceSaysServing) {
  EXPECT_EQ(GenericCall(channel_, "/grpc.health.v1.Health/Check", ""), std::string("\x08\x01", 2));
}

// Field `number` of a serialized message, each occurrence's bytes.
std::vector<std::string> Fields(const std::string& bytes, int number) {
  google::protobuf::UnknownFieldSet set;
  EXPECT_TRUE(set.ParseFromString(bytes));
  std::vector<std::string> out;
  for (int i = 0; i < set.field_count(); ++i) {
    const auto& f = set.field(i);
    if (f.number() == number && f.type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      out.push_back(f.length_delimited());
    }
  }
  return out;
}

TEST_F(GrpcServerTest, ReflectionListsAndDescribesTheService) {
  // ServerReflectionRequest{list_services: ""} = field 7, empty.
  const std::string listing = ReflectionCall(channel_, std::string("\x3a\x00", 2));
  std::set<std::string> names;
  for (const auto& list : Fields(listing, 6)) {      // list_services_response
    for (const auto& service : Fields(list, 1)) {    // repeated ServiceResponse service
      for (const auto& name : Fields(service, 1)) {  // name
        names.insert(name);
      }
    }
  }
  EXPECT_TRUE(names.count("facekit.v1.FaceKit")) << ::testing::PrintToString(names);

  // ServerReflectionRequest{file_containing_symbol: "facekit.v1.FaceKit"} = field 4.
  const std::string symbol = "facekit.v1.FaceKit";
  const std::string described =
      ReflectionCall(channel_, std::string("\x22") + static_cast<char>(symbol.size()) + symbol);
  bool found = false;
  for (const auto& response : Fields(described, 4)) {  // file_descriptor_response
    for (const auto& file : Fields(response, 1)) {     // repeated bytes file_descriptor_proto
      google::protobuf::FileDescriptorProto proto;
      ASSERT_TRUE(proto.ParseFromString(file));
      for (const auto& service : proto.service()) {
        if (service.name() == "FaceKit") {
          found = true;
          EXPECT_EQ(service.method_size(), static_cast<int>(FaceKitMethods().size()));
        }
      }
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(GrpcServerTest, HttpStillAnswersOnThePortWhileGrpcRuns) {
  v1::ListGroupsResponse groups;
  ASSERT_TRUE(Rpc(&Stub::ListGroups, "ListGroups", v1::ListGroupsRequest(), &groups).ok());
  // The gRPC connection stays open; HTTP/1.1 on the same port is unaffected.
  const auto ping = Http("GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(ping.status, 200);
  EXPECT_EQ(ping.body, "pong");
  EXPECT_TRUE(Rpc(&Stub::ListGroups, "ListGroups", v1::ListGroupsRequest(), &groups).ok());
  const std::string metrics = Http("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").body;
  EXPECT_NE(metrics.find("surface=\"grpc\",action=\"GetGroupList\",code=\"OK\"} 2"), std::string::npos) << metrics;
}

TEST_F(GrpcServerTest, ShutdownStopsGrpcAndClosesThePort) {
  v1::CreateGroupRequest create;
  create.set_group_id("g");
  create.set_group_name("G");
  v1::Group group;
  ASSERT_TRUE(Rpc(&Stub::CreateGroup, "CreateGroup", create, &group).ok());
  server_->Shutdown(std::chrono::seconds(30));
  EXPECT_EQ(Http("GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").status, 0);
  v1::ListGroupsResponse groups;
  const auto r = Rpc(&Stub::ListGroups, "ListGroups", v1::ListGroupsRequest(), &groups);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAVAILABLE) << r.status.error_message();
}

// ---------------------------------------------------------------- units

TEST(GrpcMethodsTest, EveryRpcOfTheProtoHasAMethodAndAnAction) {
  const auto* service = FaceKitGrpcService::Descriptor();
  ASSERT_NE(service, nullptr);
  std::set<std::string> implemented;
  for (const auto& m : FaceKitMethods()) implemented.insert(m.name);
  for (int i = 0; i < service->method_count(); ++i) {
    EXPECT_TRUE(implemented.count(service->method(i)->name())) << service->method(i)->name();
  }
  EXPECT_EQ(implemented.size(), static_cast<std::size_t>(service->method_count()));
  // Action names are the cloud API's, so key allow-lists mean the same on every surface;
  // FaceKit's own rpcs (no cloud action) count as actions of their own name, as reads.
  auto cloud = CloudApi::Actions();
  cloud.emplace_back("DetectObjects", false);
  for (const auto& [action, write] : {std::pair{"ListKeys", false}, std::pair{"CreateKey", true},
                                      std::pair{"ModifyKey", true}, std::pair{"RevokeKey", true},
                                      std::pair{"PublishEvent", true}, std::pair{"SubscribeEvents", false}}) {
    cloud.emplace_back(action, write);
  }
  for (const auto& m : FaceKitMethods()) {
    const auto* d = service->FindMethodByName(m.name);
    ASSERT_NE(d, nullptr) << m.name;
    std::unique_ptr<google::protobuf::Message> request(
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(d->input_type())->New());
    const std::string action = m.action(*request);
    const auto it = std::find_if(cloud.begin(), cloud.end(), [&](const auto& a) { return a.first == action; });
    ASSERT_NE(it, cloud.end()) << m.name << " -> " << action;
    EXPECT_EQ(it->second, m.write) << m.name;
  }
}

TEST(GrpcStatusMapTest, CloudCodesMapToGrpcAndHttp) {
  using grpc::StatusCode;
  EXPECT_EQ(GrpcCodeFor("InvalidParameterValue.GroupIdNotExist"), StatusCode::NOT_FOUND);
  EXPECT_EQ(GrpcCodeFor("InvalidParameterValue.PersonIdNotExist"), StatusCode::NOT_FOUND);
  EXPECT_EQ(GrpcCodeFor("FailedOperation.GroupPersonMapNotExist"), StatusCode::NOT_FOUND);
  EXPECT_EQ(GrpcCodeFor("InvalidParameterValue.PersonIdAlreadyExist"), StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(GrpcCodeFor("FailedOperation.GroupPersonMapExist"), StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(GrpcCodeFor("InvalidParameterValue.GroupIdIllegal"), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GrpcCodeFor("MissingParameter"), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GrpcCodeFor("UnknownParameter"), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GrpcCodeFor("FailedOperation.ImageDecodeFailed"), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GrpcCodeFor("FailedOperation.SearchFacesExceed"), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GrpcCodeFor("AuthFailure.SignatureFailure"), StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(GrpcCodeFor("AuthFailure.SecretIdNotFound"), StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(GrpcCodeFor("AuthFailure.InvalidAuthorization"), StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(GrpcCodeFor("AuthFailure.SignatureExpire"), StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(GrpcCodeFor("AuthFailure.UnauthorizedOperation"), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(GrpcCodeFor("RequestLimitExceeded"), StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(GrpcCodeFor("InvalidParameterValue.GroupFaceNumExceed"), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(GrpcCodeFor("InvalidParameterValue.UploadFaceNumExceed"), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GrpcCodeFor("InternalError"), StatusCode::INTERNAL);
  EXPECT_EQ(GrpcCodeFor("FailedOperation.ServerError"), StatusCode::INTERNAL);
  EXPECT_EQ(HttpStatusFor(StatusCode::NOT_FOUND), 404);
  EXPECT_EQ(HttpStatusFor(StatusCode::PERMISSION_DENIED), 403);
  EXPECT_EQ(HttpStatusFor(StatusCode::UNAUTHENTICATED), 401);
  EXPECT_EQ(HttpStatusFor(StatusCode::RESOURCE_EXHAUSTED), 429);
  EXPECT_EQ(HttpStatusFor(StatusCode::ALREADY_EXISTS), 409);
  EXPECT_EQ(HttpStatusFor(StatusCode::UNAVAILABLE), 503);
  EXPECT_EQ(GrpcCodeName(StatusCode::FAILED_PRECONDITION), "FAILED_PRECONDITION");
}

TEST(GrpcPeerDirectoryTest, HandedOverDescriptorsAndAddressesResolve) {
  PeerDirectory peers;
  peers.Set(12, "127.0.0.1");
  EXPECT_EQ(peers.AddressOf("fd:12"), "127.0.0.1");
  EXPECT_EQ(peers.AddressOf("fd:13"), "");
  EXPECT_EQ(peers.AddressOf("fd:1x"), "");
  EXPECT_EQ(peers.AddressOf("ipv4:10.1.2.3:5000"), "10.1.2.3");
  EXPECT_EQ(peers.AddressOf("ipv6:[::1]:5000"), "::1");
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackAddress("127.8.9.10"));
  EXPECT_TRUE(IsLoopbackAddress("::1"));
  EXPECT_TRUE(IsLoopbackAddress("::ffff:127.0.0.1"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackAddress("127.0.0.1.evil"));
  EXPECT_FALSE(IsLoopbackAddress(""));
  EXPECT_FALSE(IsLoopbackAddress("::2"));
}

}  // namespace
}  // namespace facekit::server
