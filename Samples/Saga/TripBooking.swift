import Foundation
import Restate

/// Books a trip (flight, hotel, rental car) as a saga: when a step is refused, the steps that
/// already succeeded are undone, newest first.
///
/// Each booking and each undo is a `ctx.run`, so after a crash Restate replays the journal and
/// neither books nor cancels anything twice. Only a ``TerminalError`` (the provider said no)
/// triggers the compensations; any other error is retried by Restate, and the saga continues
/// where it stopped. One run per trip ID: a second submission attaches to the first.
@Workflow
actor TripBooking {
    static let status = StateKey<String>("status")

    let agency: any TravelAgency

    /// Books with the stand-in providers of ``SimulatedAgency``.
    init() {
        self.init(agency: SimulatedAgency())
    }

    /// Books with `agency`, e.g. a recording one in tests.
    init(agency: any TravelAgency) {
        self.agency = agency
    }

    /// Books the flight, the hotel and the car; throws the refusal after undoing what was booked.
    func run(_ ctx: WorkflowContext, trip: TripRequest) async throws -> TripConfirmation {
        let agency = self.agency
        let tripID = ctx.key
        // The undo of every step that succeeded, in booking order.
        var compensations: [(name: String, undo: @Sendable () async throws -> Void)] = []
        try ctx.set(Self.status, "booking")
        do {
            let flight = try await ctx.run("book flight") {
                try await agency.bookFlight(trip.flight, trip: tripID)
            }
            compensations.append(("cancel flight", { try await agency.cancelFlight(flight) }))

            let hotel = try await ctx.run("book hotel") {
                try await agency.bookHotel(trip.hotel, trip: tripID)
            }
            compensations.append(("cancel hotel", { try await agency.cancelHotel(hotel) }))

            let car = try await ctx.run("book car") {
                try await agency.bookCar(trip.car, trip: tripID)
            }
            compensations.append(("cancel car", { try await agency.cancelCar(car) }))

            try ctx.set(Self.status, "booked")
            return TripConfirmation(flight: flight, hotel: hotel, car: car)
        } catch let error as TerminalError {
            // Undos are journaled too, and retried until they succeed: a compensation must not
            // give up halfway.
            for compensation in compensations.reversed() {
                try await ctx.run(compensation.name, compensation.undo)
            }
            try ctx.set(Self.status, "cancelled: \(error.message)")
            throw error
        }
    }

    /// `booking`, `booked`, or `cancelled: <reason>`.
    @Shared
    func getStatus(_ ctx: SharedWorkflowContext) async throws -> String {
        try await ctx.get(Self.status) ?? "unknown"
    }
}

/// What to book. The stand-in providers refuse any item named `sold-out`, so that the
/// compensation path can be tried.
struct TripRequest: Codable, Sendable {
    var flight: String
    var hotel: String
    var car: String
}

/// The providers' booking references.
struct TripConfirmation: Codable, Sendable, Hashable {
    var flight: String
    var hotel: String
    var car: String
}

/// The providers a trip is booked with. Booking methods return a reference and throw a
/// ``TerminalError`` when the provider refuses; cancellations must be idempotent, since a crash
/// after the provider's answer but before Restate stored it repeats the call.
protocol TravelAgency: Sendable {
    func bookFlight(_ flight: String, trip: String) async throws -> String
    func bookHotel(_ hotel: String, trip: String) async throws -> String
    func bookCar(_ car: String, trip: String) async throws -> String
    func cancelFlight(_ reference: String) async throws
    func cancelHotel(_ reference: String) async throws
    func cancelCar(_ reference: String) async throws
}

/// Stands in for real providers: prints what it does, and refuses items named `sold-out`.
struct SimulatedAgency: TravelAgency {
    static let soldOut = "sold-out"

    func bookFlight(_ flight: String, trip: String) async throws -> String {
        try book("flight", flight, trip: trip)
    }

    func bookHotel(_ hotel: String, trip: String) async throws -> String {
        try book("hotel", hotel, trip: trip)
    }

    func bookCar(_ car: String, trip: String) async throws -> String {
        try book("car", car, trip: trip)
    }

    func cancelFlight(_ reference: String) async throws { log("cancelled \(reference)") }
    func cancelHotel(_ reference: String) async throws { log("cancelled \(reference)") }
    func cancelCar(_ reference: String) async throws { log("cancelled \(reference)") }

    private func book(_ kind: String, _ item: String, trip: String) throws -> String {
        guard item != Self.soldOut else {
            log("refused \(kind) \(item) for trip \(trip)")
            throw TerminalError("The \(kind) \(item) is sold out", code: 422)
        }
        let reference = "\(kind)-\(trip)"
        log("booked \(kind) \(item) for trip \(trip): \(reference)")
        return reference
    }

    private func log(_ line: String) {
        // Written straight to the file handle: print() is buffered when stdout is not a terminal.
        FileHandle.standardOutput.write(Data("[TripBooking] \(line)\n".utf8))
    }
}

/// How `swift run Saga` serves this sample (see `main.swift`).
public enum SagaSample {
    /// An endpoint with the sample's services.
    public static func endpoint() -> Endpoint {
        Endpoint(TripBooking.self)
    }
}
