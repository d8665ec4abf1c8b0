#include "shared/rpc/testing/reflection_client.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "shared/base/status_macros.h"
#include "shared/base/strings.h"
#include "shared/rpc/status.h"

namespace evermirror::rpc::testing {
namespace {

namespace pb = google::protobuf;

constexpr char kMethod[] = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
constexpr char kPackage[] = "grpc.reflection.v1alpha.";

absl::StatusOr<const pb::Descriptor*> Type(std::string_view name) {
  const pb::Descriptor* d = pb::DescriptorPool::generated_pool()->FindMessageTypeByName(absl::StrCat(kPackage, ToAbsl(name)));
  if (d == nullptr) return absl::InternalError(absl::StrCat("reflection descriptors not linked: ", ToAbsl(name)));
  return d;
}

// Waits for the one outstanding operation on `cq`.
absl::Status Step(grpc::CompletionQueue& cq, std::string_view what) {
  void* tag = nullptr;
  bool ok = false;
  if (!cq.Next(&tag, &ok) || !ok) return absl::UnavailableError(absl::StrCat("reflection call failed at ", ToAbsl(what)));
  return absl::OkStatus();
}

// Runs one request/response exchange on a new ServerReflectionInfo stream.
absl::StatusOr<grpc::ByteBuffer> Call(const std::shared_ptr<grpc::Channel>& channel, grpc::ByteBuffer request,
                                      absl::Duration timeout) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  grpc::CompletionQueue cq;
  grpc::GenericStub stub(channel);
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call = stub.PrepareCall(&context, kMethod, &cq);
  grpc::ByteBuffer response;
  call->StartCall(nullptr);
  absl::Status step = Step(cq, "start");
  if (step.ok()) {
    call->Write(request, nullptr);
    step = Step(cq, "write");
  }
  if (step.ok()) {
    call->Read(&response, nullptr);
    step = Step(cq, "read");
  }
  if (step.ok()) {
    call->WritesDone(nullptr);
    step = Step(cq, "writes done");
  }
  grpc::Status status;
  call->Finish(&status, nullptr);
  void* tag;
  bool ok;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  EM_RETURN_IF_ERROR(FromGrpcStatus(status));
  EM_RETURN_IF_ERROR(step);
  return response;
}

// Sends a ServerReflectionRequest with `field` = `value`; returns the serialized response.
absl::StatusOr<std::string> Exchange(const std::shared_ptr<grpc::Channel>& channel, std::string_view field,
                                     std::string_view value, absl::Duration timeout) {
  EM_ASSIGN_OR_RETURN(const pb::Descriptor* request_type, Type("ServerReflectionRequest"));
  pb::DynamicMessageFactory factory;
  std::unique_ptr<pb::Message> request(factory.GetPrototype(request_type)->New());
  request->GetReflection()->SetString(request.get(), request_type->FindFieldByName(std::string(field)), std::string(value));
  grpc::Slice slice(request->SerializeAsString());
  EM_ASSIGN_OR_RETURN(grpc::ByteBuffer in, Call(channel, grpc::ByteBuffer(&slice, 1), timeout));
  std::vector<grpc::Slice> slices;
  if (!in.Dump(&slices).ok()) return absl::InternalError("unreadable reflection response");
  std::string bytes;
  for (const grpc::Slice& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return bytes;
}

// Parses a ServerReflectionResponse and returns its `field` sub-message (by name).
absl::StatusOr<std::unique_ptr<pb::Message>> Response(const std::string& bytes, pb::DynamicMessageFactory& factory) {
  EM_ASSIGN_OR_RETURN(const pb::Descriptor* type, Type("ServerReflectionResponse"));
  std::unique_ptr<pb::Message> response(factory.GetPrototype(type)->New());
  if (!response->ParseFromString(bytes)) return absl::InternalError("bad reflection response");
  const pb::FieldDescriptor* error = type->FindFieldByName("error_response");
  if (response->GetReflection()->HasField(*response, error)) {
    const pb::Message& e = response->GetReflection()->GetMessage(*response, error);
    return absl::NotFoundError(e.GetReflection()->GetString(e, e.GetDescriptor()->FindFieldByName("error_message")));
  }
  return response;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ListServicesByReflection(const std::shared_ptr<grpc::Channel>& channel,
                                                                 absl::Duration timeout) {
  EM_ASSIGN_OR_RETURN(std::string bytes, Exchange(channel, "list_services", "", timeout));
  pb::DynamicMessageFactory factory;
  EM_ASSIGN_OR_RETURN(std::unique_ptr<pb::Message> response, Response(bytes, factory));
  const pb::Message& list =
      response->GetReflection()->GetMessage(*response, response->GetDescriptor()->FindFieldByName("list_services_response"));
  const pb::FieldDescriptor* services = list.GetDescriptor()->FindFieldByName("service");
  std::vector<std::string> names;
  for (int i = 0; i < list.GetReflection()->FieldSize(list, services); ++i) {
    const pb::Message& service = list.GetReflection()->GetRepeatedMessage(list, services, i);
    names.push_back(service.GetReflection()->GetString(service, service.GetDescriptor()->FindFieldByName("name")));
  }
  return names;
}

absl::StatusOr<std::vector<std::string>> MethodsByReflection(const std::shared_ptr<grpc::Channel>& channel,
                                                            std::string_view service, absl::Duration timeout) {
  EM_ASSIGN_OR_RETURN(std::string bytes, Exchange(channel, "file_containing_symbol", service, timeout));
  pb::DynamicMessageFactory factory;
  EM_ASSIGN_OR_RETURN(std::unique_ptr<pb::Message> response, Response(bytes, factory));
  const pb::Message& files = response->GetReflection()->GetMessage(
      *response, response->GetDescriptor()->FindFieldByName("file_descriptor_response"));
  const pb::FieldDescriptor* protos = files.GetDescriptor()->FindFieldByName("file_descriptor_proto");
  for (int i = 0; i < files.GetReflection()->FieldSize(files, protos); ++i) {
    pb::FileDescriptorProto file;
    if (!file.ParseFromString(files.GetReflection()->GetRepeatedString(files, protos, i))) continue;
    for (const pb::ServiceDescriptorProto& s : file.service()) {
      if (absl::StrCat(file.package(), ".", s.name()) != ToAbsl(service)) continue;
      std::vector<std::string> methods;
      for (const pb::MethodDescriptorProto& m : s.method()) methods.push_back(m.name());
      return methods;
    }
  }
  return absl::NotFoundError(absl::StrCat("reflection did not describe ", ToAbsl(service)));
}

}  // namespace evermirror::rpc::testing
