import Foundation
import TrellisCore

/// Conversions between arrays and the store's blob layouts: token ids as little-endian Int32,
/// HMM parameters as little-endian Float32 (IEEE 754 bit patterns). O(n) copies; on
/// little-endian hosts (every platform Swift ships on today) a single memcpy.
enum BlobCoding {
    static func data(tokens: [TokenID]) -> Data {
        #if _endian(little)
        return tokens.withUnsafeBytes { Data($0) }
        #else
        return tokens.map { $0.littleEndian }.withUnsafeBytes { Data($0) }
        #endif
    }

    /// Token ids from a blob, or nil when its size is not a multiple of 4.
    static func tokens(_ data: Data) -> [TokenID]? {
        guard data.count % 4 == 0 else { return nil }
        let count = data.count / 4
        var tokens = [TokenID](repeating: 0, count: count)
        tokens.withUnsafeMutableBytes { destination in
            _ = data.copyBytes(to: destination)
        }
        #if !_endian(little)
        for i in tokens.indices { tokens[i] = TokenID(littleEndian: tokens[i]) }
        #endif
        return tokens
    }

    static func data(floats: ArraySlice<Float>) -> Data {
        #if _endian(little)
        return floats.withUnsafeBytes { Data($0) }
        #else
        return floats.map { $0.bitPattern.littleEndian }.withUnsafeBytes { Data($0) }
        #endif
    }

    /// Copies a Float32 blob into `destination` (which must have exactly the blob's size).
    static func copyFloats(_ data: Data, into destination: UnsafeMutableBufferPointer<Float>) {
        precondition(data.count == destination.count * 4)
        _ = data.copyBytes(to: destination)
        #if !_endian(little)
        for i in destination.indices {
            destination[i] = Float(bitPattern: UInt32(littleEndian: destination[i].bitPattern))
        }
        #endif
    }
}
