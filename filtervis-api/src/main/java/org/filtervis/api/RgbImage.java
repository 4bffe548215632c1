package org.filtervis.api;

/**
 * An 8-bit RGB image.
 *
 * @param width  columns
 * @param height rows
 * @param rgb    {@code height * width * 3} bytes, row-major, red-green-blue interleaved
 */
public record RgbImage(int width, int height, byte[] rgb) {
    public int red(int y, int x) {
        return rgb[(y * width + x) * 3] & 0xff;
    }

    public int green(int y, int x) {
        return rgb[(y * width + x) * 3 + 1] & 0xff;
    }

    public int blue(int y, int x) {
        return rgb[(y * width + x) * 3 + 2] & 0xff;
    }
}
