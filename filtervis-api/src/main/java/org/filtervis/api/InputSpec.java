package org.filtervis.api;

/**
 * The image input of a model.
 *
 * @param name     the framework's name of the input
 * @param layout   where the channel axis sits
 * @param channels image channels (3 for RGB)
 * @param height   rows, or -1 where the model leaves it free
 * @param width    columns, or -1 where the model leaves it free
 */
public record InputSpec(String name, Layout layout, int channels, int height, int width) {

    /** Where the channel axis is: before the spatial axes (PyTorch, ONNX) or after them (TensorFlow, Keras). */
    public enum Layout { NCHW, NHWC }

    /** Floats in one image; height and width must be fixed. */
    public int elements() {
        if (height < 0 || width < 0) {
            throw new IllegalStateException("input size is not fixed");
        }
        return channels * height * width;
    }

    /** Index of pixel (y, x) channel c within one image. */
    public int index(int c, int y, int x) {
        return layout == Layout.NCHW ? (c * height + y) * width + x : (y * width + x) * channels + c;
    }

    public InputSpec withSize(int h, int w) {
        return new InputSpec(name, layout, channels, h, w);
    }
}
