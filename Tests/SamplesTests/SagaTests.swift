import Foundation
import Restate
import RestateTesting
import Testing

@testable import SagaKit

/// Books nothing; records every booking and cancellation, and refuses items named `sold-out`
/// as the sample's stand-in does.
final class RecordingAgency: TravelAgency {
    let log = Recorder<String>()

    func bookFlight(_ flight: String, trip: String) async throws -> String { try book("flight", flight, trip) }
    func bookHotel(_ hotel: String, trip: String) async throws -> String { try book("hotel", hotel, trip) }
    func bookCar(_ car: String, trip: String) async throws -> String { try book("car", car, trip) }
    func cancelFlight(_ reference: String) async throws { log.record("cancel \(reference)") }
    func cancelHotel(_ reference: String) async throws { log.record("cancel \(reference)") }
    func cancelCar(_ reference: String) async throws { log.record("cancel \(reference)") }

    private func book(_ kind: String, _ item: String, _ trip: String) throws -> String {
        guard item != SimulatedAgency.soldOut else {
            log.record("refuse \(kind)")
            throw TerminalError("no \(kind)", code: 422)
        }
        log.record("book \(kind)-\(trip)")
        return "\(kind)-\(trip)"
    }
}

@Suite("Sample: Saga")
struct SagaTests {
    func endpoint(_ agency: RecordingAgency) -> Endpoint {
        makeEndpoint { $0.bind(TripBooking.self) { TripBooking(agency: agency) } }
    }

    @Test("every step succeeds: the trip is booked and nothing is cancelled", arguments: Mode.allCases)
    func booked(mode: Mode) async throws {
        let agency = RecordingAgency()
        try await withRuntime(endpoint(agency), mode.configuration()) { runtime async throws in
            let trip = uniqueKey("trip")
            let booking = runtime.workflow("TripBooking", id: trip)
            try await booking.submit(input: TripRequest(flight: "LH 123", hotel: "Adlon", car: "Golf"))
            let confirmation = try await booking.attach(as: TripConfirmation.self)
            #expect(
                confirmation == TripConfirmation(flight: "flight-\(trip)", hotel: "hotel-\(trip)", car: "car-\(trip)")
            )
            #expect(
                agency.log.events(exactly: mode.runsBodiesOnce) == [
                    "book flight-\(trip)", "book hotel-\(trip)", "book car-\(trip)",
                ]
            )
            #expect(try await runtime.call("TripBooking", key: trip, "getStatus", as: String.self) == "booked")
        }
    }

    @Test(
        "the car is refused: hotel then flight are cancelled, and the refusal is the result",
        arguments: Mode.allCases
    )
    func compensated(mode: Mode) async throws {
        let agency = RecordingAgency()
        try await withRuntime(endpoint(agency), mode.configuration()) { runtime async throws in
            let trip = uniqueKey("trip")
            let booking = runtime.workflow("TripBooking", id: trip)
            try await booking.submit(input: TripRequest(flight: "LH 123", hotel: "Adlon", car: "sold-out"))
            let error = await #expect(throws: TerminalError.self) {
                _ = try await booking.attach(as: TripConfirmation.self)
            }
            #expect(error?.code == 422)
            #expect(error?.message == "no car")
            #expect(
                agency.log.events(exactly: mode.runsBodiesOnce) == [
                    "book flight-\(trip)", "book hotel-\(trip)", "refuse car",
                    "cancel hotel-\(trip)", "cancel flight-\(trip)",
                ]
            )
            #expect(
                try await runtime.call("TripBooking", key: trip, "getStatus", as: String.self) == "cancelled: no car"
            )
        }
    }

    @Test("a refusal at the second step undoes only the first")
    func refusedHotel() async throws {
        let agency = RecordingAgency()
        try await withRuntime(endpoint(agency)) { runtime async throws in
            let trip = uniqueKey("trip")
            let booking = runtime.workflow("TripBooking", id: trip)
            try await booking.submit(input: TripRequest(flight: "LH 123", hotel: "sold-out", car: "Golf"))
            await #expect(throws: TerminalError.self) { _ = try await booking.attach(as: TripConfirmation.self) }
            #expect(agency.log.all == ["book flight-\(trip)", "refuse hotel", "cancel flight-\(trip)"])
        }
    }

    @Test("the sample's endpoint (simulated providers) books and compensates")
    func simulatedAgency() async throws {
        try await withRuntime(makeEndpoint { $0.bind(TripBooking.self) }) { runtime async throws in
            let ok = uniqueKey("trip")
            try await runtime.workflow("TripBooking", id: ok).submit(
                input: TripRequest(flight: "LH 123", hotel: "Adlon", car: "Golf")
            )
            let confirmation = try await runtime.workflow("TripBooking", id: ok).attach(as: TripConfirmation.self)
            #expect(confirmation.car == "car-\(ok)")

            let refused = uniqueKey("trip")
            try await runtime.workflow("TripBooking", id: refused).submit(
                input: TripRequest(flight: "LH 123", hotel: "Adlon", car: "sold-out")
            )
            let error = await #expect(throws: TerminalError.self) {
                _ = try await runtime.workflow("TripBooking", id: refused).attach(as: TripConfirmation.self)
            }
            #expect(error == TerminalError("The car sold-out is sold out", code: 422))
        }
    }
}
