import Testing
@testable import Fovea

@Suite struct AugmentationTests {
    static func batch() throws -> Tensor { try Tensor.randomUniform(shape: [3, 6, 5, 3], seed: 4) }

    @Test func everyAugmentationIsReproducibleFromItsSeed() throws {
        let pca = try ColorPCA(images: try Self.batch())
        let all: [Augmentation] = [
            .horizontalFlip(), .randomCrop(padding: 2), .colorShift(maximum: 0.1), .pcaColor(pca),
            .rotation(maximumDegrees: 15), .shear(maximum: 0.2), .elastic(alpha: 2, sigma: 1),
        ]
        let x = try Self.batch()
        for step in all {
            let augment = try Augmenter([step])
            #expect(try augment(x, seed: 7) == augment(x, seed: 7), "\(step)")
            #expect(try augment(x, seed: 7).shape == x.shape)
        }
        #expect(try Augmenter(all)(x, seed: 1) != Augmenter(all)(x, seed: 2))
    }

    @Test func neutralSettingsLeaveImagesAlone() throws {
        let x = try Self.batch()
        for step in [Augmentation.horizontalFlip(probability: 0), .randomCrop(padding: 0), .colorShift(maximum: 0),
                     .rotation(maximumDegrees: 0), .shear(maximum: 0), .elastic(alpha: 0, sigma: 1)] {
            expectClose(try Augmenter([step])(x, seed: 3).scalars, x.scalars, atol: 1e-6, rtol: 0, "\(step)")
        }
        // A certain flip is the mirror image.
        #expect(try Augmenter([.horizontalFlip(probability: 1)])(x, seed: 3) == flipHorizontally(x))
    }

    @Test func colourAugmentationsMoveEachChannelByOneOffset() throws {
        let x = try Self.batch()
        let y = try Augmenter([.colorShift(maximum: 0.5)])(x, seed: 9)
        let difference = try subtract(y, x).scalars
        let perImage = 6 * 5 * 3
        for image in 0..<3 {
            for channel in 0..<3 {
                // Each image draws its own offsets.
                let shifts = stride(from: image * perImage + channel, to: (image + 1) * perImage, by: 3).map { difference[$0] }
                #expect(shifts.allSatisfy { abs($0 - shifts[0]) < 1e-6 } && abs(shifts[0]) <= 0.5)
            }
        }
        // The colour PCA's eigenvectors are orthonormal and its eigenvalues sorted.
        let pca = try ColorPCA(images: x)
        for i in 0..<3 {
            for j in 0..<3 {
                let dot = (0..<3).reduce(Float(0)) { $0 + pca.eigenvectors[i][$1] * pca.eigenvectors[j][$1] }
                #expect(abs(dot - (i == j ? 1 : 0)) < 1e-4)
            }
        }
        #expect(pca.eigenvalues == pca.eigenvalues.sorted(by: >))
        #expect(throws: FoveaError.self) { try Augmenter([.pcaColor(pca)])(try Tensor.zeros(shape: [1, 2, 2, 1]), seed: 1) }
        #expect(throws: FoveaError.self) { try Augmenter([.randomCrop(padding: -1)]) }
    }

    @Test func aQuarterTurnOfASquareIsATranspose() throws {
        // Rotation with a fixed angle: ±90 degrees drawn from [-90, 90] only at its ends,
        // so check the warp itself with a quarter turn.
        let x = try Tensor.randomUniform(shape: [1, 4, 4, 1], seed: 2).scalars
        let turned = warp(x, 4, 4, 1) { (row, col) in (col, 3 - row) }
        for row in 0..<4 { for col in 0..<4 { #expect(turned[row * 4 + col] == x[col * 4 + 3 - row]) } }
    }
}
