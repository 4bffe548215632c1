package org.filtervis.api;

/**
 * Where a layer's position looks in the image: position (y, x) of the layer depends on image rows
 * {@code strideY * y + loY} to {@code strideY * y + hiY} and columns {@code strideX * x + loX} to
 * {@code strideX * x + hiX} (inclusive; they may reach past the image's edges, where padding is).
 * Computed from the graph's strides, kernels, pads and dilations; where the graph's branches
 * differ, the union.
 */
public record ReceptiveField(int strideY, int strideX, int loY, int hiY, int loX, int hiX) {
    /** The field of position (y, x) clipped to an image of {@code height} x {@code width}: {top, left, bottom, right}, inclusive. */
    public int[] box(int y, int x, int height, int width) {
        return new int[] {Math.max(0, strideY * y + loY), Math.max(0, strideX * x + loX), Math.min(height - 1, strideY * y + hiY),
            Math.min(width - 1, strideX * x + hiX)};
    }
}
