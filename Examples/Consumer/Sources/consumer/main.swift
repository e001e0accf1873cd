import Fovea

// A vertical-edge filter (the course's classic example) over a 6x6 image
// whose left half is bright: the edge shows up in the middle columns.
let image = try Tensor(
    shape: [1, 6, 6, 1],
    scalars: (0..<36).map { $0 % 6 < 3 ? 10 : 0 })
let verticalEdge = try Tensor(shape: [3, 3, 1, 1], scalars: [1, 0, -1, 1, 0, -1, 1, 0, -1])
let edges = try conv2d(image, weight: verticalEdge)
print("consumer: conv2d \(image.shape) -> \(edges.shape), first row \(Array(edges.scalars.prefix(4)))")
guard edges.scalars.prefix(4) == [0, 30, 30, 0] else {
    print("consumer: unexpected result")
    exit(1)
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
