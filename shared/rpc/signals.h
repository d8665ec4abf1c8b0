// Graceful shutdown on SIGTERM (docker stop, k8s) and SIGINT (Ctrl-C), the sigwait way:
// main blocks both signals before any thread exists, so every thread inherits the mask and
// the signal stays pending until main collects it in WaitForShutdownSignal().
//   int main(int argc, char** argv) {
//     rpc::BlockShutdownSignals();   // first line: before gRPC, civetweb or schedulers start
//     ...start servers...
//     rpc::WaitForShutdownSignal();
//     server->Shutdown(absl::Seconds(5));
#pragma once

namespace evermirror::rpc {

// Blocks SIGINT and SIGTERM in the calling thread (and so in threads it starts later) and
// ignores SIGPIPE. REQUIRES: called before any other thread starts; a thread started earlier
// could receive the signal and the default action would kill the process.
void BlockShutdownSignals();

// Waits until SIGINT or SIGTERM is delivered to the process; returns its number. Consumes the
// signal. REQUIRES: BlockShutdownSignals() was called first.
int WaitForShutdownSignal();

// Sends SIGTERM to this process, so a component that must stop the service (a fatal storage
// error) takes the same path as an operator's `docker stop`. Thread-safe.
void RequestShutdown();

// "SIGTERM", "SIGINT", else "signal".
const char* ShutdownSignalName(int signal);

}  // namespace evermirror::rpc
