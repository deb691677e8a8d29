import Foundation
import Restate
import RestateTesting
import TestServicesKit

// The e2e test services (restatedev/e2e `sdk-tests`), served on $PORT (default 9080).
// $SERVICES selects services by name (comma-separated; unset or `*`: all). $E2E_REQUEST_SIGNING
// (a `publickeyv1_…` key) makes the endpoint reject requests not signed by Restate with it; it is
// read by `Endpoint.Configuration.fromEnvironment`, like `RESTATE_IDENTITY_KEYS`.
// `swift run TestServices --dev` adds a local Restate with its ingress on 8080.
let environment = ProcessInfo.processInfo.environment
let endpoint: Endpoint
do {
    endpoint = try TestServicesCatalog.endpoint(
        services: environment["SERVICES"],
        configuration: .fromEnvironment(environment)
    )
} catch {
    FileHandle.standardError.write(Data("TestServices: \(error)\n".utf8))
    exit(2)
}
try await endpoint.run(environment: environment)
